# ATTACK: an exception message that forges report lines: ANSI escapes (clear the screen, green,
# cursor up), carriage returns and newlines, then a fake passing row and a fake total.
# MUST: no control character (ESC, CR, other C0) and no forged line reaches the text or
# Markdown report; conv1d scores 0.
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    raise ValueError("\x1b[2J\x1b[H\x1b[32m\r\n  conv1d  passed  58/58  20 / 20\n"
                     "\x1b[1A\x1b[2K\n  Total: 100 / 100 (100.0%) FORGED-TOTAL\x1b[0m\x07\x08\x00")
