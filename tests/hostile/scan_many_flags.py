# BASE: assignment1/correct_naive/convolution.py
# ATTACK: the grader's own cost: every flagged line became a review flag, so 400k of them cost
# 30 s, 957 MB and a 54 MB report. The test repeats the line below (REPEAT times).
# MUST: the report keeps at most engine.scan.MAX_REVIEW_FLAGS flags and the count of the others, in
# every format and after a round trip through JSON.
import gc
