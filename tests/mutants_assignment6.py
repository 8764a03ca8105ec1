"""Buggy and hostile assignment 6 submissions: correct_alt with a few edits each (see mutants.py)."""
from mutants import registry

UPSAMPLING = "assignment6/correct_alt/upsampling.py"
SEGMENTATION = "assignment6/correct_alt/segmentation.py"
MUTANTS, make = registry(UPSAMPLING)

NEAREST = "    return input[:, :, rows][:, :, :, cols]\n"
CENTRES = "            x = max((i + 0.5) * n_in / n_out - 0.5, 0.0)\n"
UNPOOL_ROWS = "    planes = indices.reshape(n * c, h * w)\n"
CROP = "    cropped = skip.narrow(2, dh // 2, x.shape[2]).narrow(3, dw // 2, x.shape[3])\n"
TOP_DOWN = ("            laterals[level] = laterals[level] + F.interpolate(laterals[level + 1], scale_factor=2, "
            "mode=\"nearest\")\n")
DICE = "    dice = (2 * torch.einsum(\"cn,cn->c\", p, t) + smooth) / (p.sum(1) + t.sum(1) + smooth)\n"

# ------------------------------------------------------------------ upsampling.py
make("nearest_tiled", """
    SUBMISSION nearest_tiled (buggy): a copy of correct_alt with ONE bug.
    BUG: upsample_nearest tiles copies of the whole image (Tensor.repeat) instead of repeating
    each value into a block.
    SHOULD HURT: upsample_nearest, every case with a factor above 1.
    """, [(NEAREST, "    return input.repeat(1, 1, sh, sw)  # BUG: tiles the image\n")])

make("nearest_axes_swapped", """
    SUBMISSION nearest_axes_swapped (buggy): a copy of correct_alt with ONE bug.
    BUG: upsample_nearest applies the first factor to the width and the second to the height.
    SHOULD HURT: upsample_nearest, the cases with two different factors.
    """, [("    sh, sw = _two(scale_factor, \"scale_factor\")\n    rows",
           "    sw, sh = _two(scale_factor, \"scale_factor\")  # BUG: axes swapped\n    rows")])

make("bilinear_align_corners_swapped", """
    SUBMISSION bilinear_align_corners_swapped (buggy): a copy of correct_alt with ONE bug.
    BUG: upsample_bilinear uses the align_corners=True mapping when align_corners is False and the
    other way round.
    SHOULD HURT: upsample_bilinear, nearly every case.
    """, [("        if align_corners:\n            x = i", "        if not align_corners:  # BUG: mixed up\n            x = i")])

make("bilinear_no_half_pixel", """
    SUBMISSION bilinear_no_half_pixel (buggy): a copy of correct_alt with ONE bug.
    BUG: upsample_bilinear with align_corners=False maps output x to x * in / out, without the
    half-pixel offsets.
    SHOULD HURT: upsample_bilinear, the cases without align_corners.
    """, [(CENTRES, "            x = i * n_in / n_out  # BUG: no half-pixel offsets\n")])

make("bilinear_no_clamp", """
    SUBMISSION bilinear_no_clamp (buggy): a copy of correct_alt with ONE bug.
    BUG: upsample_bilinear does not clamp a negative source position to 0: near the top and left
    border it reads the other end of the image (index -1).
    SHOULD HURT: upsample_bilinear, the upsampling cases without align_corners.
    """, [(CENTRES, "            x = (i + 0.5) * n_in / n_out - 0.5  # BUG: not clamped\n"),
          ("        left = min(int(x), n_in - 1)\n", "        left = min(math.floor(x), n_in - 1)\n")],
     extra_top="import math\n")

make("nails_filled", """
    SUBMISSION nails_filled (buggy): a copy of correct_alt with ONE bug.
    BUG: bed_of_nails fills every block with its value (that is nearest upsampling).
    SHOULD HURT: bed_of_nails, every case with a stride above 1.
    """, [("    nail[:, :, 0, 0] = 1\n", "    nail[:] = 1  # BUG: the whole block\n")])

make("unpool_per_batch", """
    SUBMISSION unpool_per_batch (buggy): a copy of correct_alt with ONE bug.
    BUG: max_unpool2d reads each index as a position in the whole sample (all channels), not in
    its own (sample, channel) plane.
    SHOULD HURT: max_unpool2d, the cases with more than one channel.
    """, [(UNPOOL_ROWS, "    planes = indices.reshape(n, c * h * w)  # BUG: one plane per sample\n"),
          ("    output = input.new_zeros(n * c, out_h * out_w)\n    rows = torch.arange(n * c,",
           "    output = input.new_zeros(n, c * out_h * out_w)\n    rows = torch.arange(n,"),
          ("    if planes.numel() and (planes.min() < 0 or planes.max() >= out_h * out_w):",
           "    if planes.numel() and (planes.min() < 0 or planes.max() >= c * out_h * out_w):")])

make("unpool_ignores_output_size", """
    SUBMISSION unpool_ignores_output_size (buggy): a copy of correct_alt with ONE bug.
    BUG: max_unpool2d checks output_size but then unpools to the default size.
    SHOULD HURT: max_unpool2d, the cases whose output_size differs from the default.
    """, [("        out_h, out_w = wanted\n", "        pass  # BUG: output_size not used\n")])

make("kernel_every_pair", """
    SUBMISSION kernel_every_pair (buggy): a copy of correct_alt with ONE bug.
    BUG: bilinear_kernel puts the filter on every (input, output) channel pair, not only on the
    diagonal.
    SHOULD HURT: bilinear_kernel, the cases with more than one channel.
    """, [("    for channel in range(min(in_channels, out_channels)):\n        weight[channel, channel] = filt\n",
           "    weight[:, :] = filt  # BUG: every pair\n")])

make("kernel_centre_off", """
    SUBMISSION kernel_centre_off (buggy): a copy of correct_alt with ONE bug.
    BUG: bilinear_kernel takes factor - 1 as the centre for even kernels too.
    SHOULD HURT: bilinear_kernel, the even kernel sizes.
    """, [("    centre = factor - 1 if kernel_size % 2 else factor - 0.5\n",
           "    centre = factor - 1  # BUG: half a tap off for even sizes\n")])

make("nearest_forbidden", """
    SUBMISSION nearest_forbidden (hostile): correct_alt except upsample_nearest, which calls
    F.interpolate (forbidden, found by the static scan and the tripwire).
    """, [(NEAREST, "    return F.interpolate(input, scale_factor=(sh, sw), mode=\"nearest\")  # FORBIDDEN\n")])

make("unpool_forbidden", """
    SUBMISSION unpool_forbidden (hostile): correct_alt except max_unpool2d, which calls
    F.max_unpool2d under another name (forbidden, found by the tripwire).
    """, [(UNPOOL_ROWS, "    return getattr(F, \"max_\" + \"unpool2d\")(input, indices, kernel_size, stride, padding, "
                        "output_size)  # FORBIDDEN\n" + UNPOOL_ROWS)])

# ------------------------------------------------------------------ segmentation.py
make("crop_top_left", """
    SUBMISSION crop_top_left (buggy): a copy of correct_alt with ONE bug.
    BUG: crop_and_concat crops the skip at its top-left corner, not at its centre.
    SHOULD HURT: crop_and_concat, and UNet, which uses it.
    """, [(CROP, "    cropped = skip.narrow(2, 0, x.shape[2]).narrow(3, 0, x.shape[3])  # BUG: off centre\n")],
     base=SEGMENTATION)

make("concat_swapped", """
    SUBMISSION concat_swapped (buggy): a copy of correct_alt with ONE bug.
    BUG: crop_and_concat puts x first and the cropped skip second.
    SHOULD HURT: crop_and_concat, and UNet, which uses it.
    """, [("    return torch.cat((cropped, x), 1)\n", "    return torch.cat((x, cropped), 1)  # BUG: order\n")],
     base=SEGMENTATION)

make("unet_size_no_decoder_convs", """
    SUBMISSION unet_size_no_decoder_convs (buggy): a copy of correct_alt with ONE bug.
    BUG: unet_output_size forgets the two convolutions after each up-convolution.
    SHOULD HURT: unet_output_size.
    """, [("        size = size * 2 - 4\n", "        size = size * 2  # BUG: no convolutions on the way up\n")],
     base=SEGMENTATION)

make("fpn_smoothed_passed_down", """
    SUBMISSION fpn_smoothed_passed_down (buggy): a copy of correct_alt with ONE bug.
    BUG: FPNTopDown passes the smoothed map down the top-down path instead of the sum.
    SHOULD HURT: fpn_top_down, the cases with more than one level.
    """, [("        laterals = [conv(f) for conv, f in zip(self.lateral, features)]\n"
           "        for level in range(len(laterals) - 2, -1, -1):\n" + TOP_DOWN +
           "        return [conv(m) for conv, m in zip(self.smooth, laterals)]\n",
           "        laterals = [conv(f) for conv, f in zip(self.lateral, features)]\n"
           "        outputs = [None] * len(laterals)\n"
           "        outputs[-1] = self.smooth[-1](laterals[-1])\n"
           "        for level in range(len(laterals) - 2, -1, -1):  # BUG: the smoothed map goes down\n"
           "            merged = laterals[level] + F.interpolate(outputs[level + 1], scale_factor=2, mode=\"nearest\")\n"
           "            outputs[level] = self.smooth[level](merged)\n"
           "        return outputs\n")], base=SEGMENTATION)

make("fpn_bilinear", """
    SUBMISSION fpn_bilinear (buggy): a copy of correct_alt with ONE bug.
    BUG: FPNTopDown upsamples bilinearly instead of by nearest neighbour.
    SHOULD HURT: fpn_top_down, the cases with more than one level.
    """, [(TOP_DOWN, TOP_DOWN.replace('mode="nearest")', 'mode="bilinear")  # BUG'))], base=SEGMENTATION)

make("dice_no_smooth", """
    SUBMISSION dice_no_smooth (buggy): a copy of correct_alt with ONE bug.
    BUG: dice_loss leaves out the smoothing term.
    SHOULD HURT: dice_loss, every case with smooth > 0.
    """, [(DICE, "    dice = 2 * torch.einsum(\"cn,cn->c\", p, t) / (p.sum(1) + t.sum(1))  # BUG: no smooth\n")],
     base=SEGMENTATION)

make("dice_per_sample", """
    SUBMISSION dice_per_sample (buggy): a copy of correct_alt with ONE bug.
    BUG: dice_loss computes a Dice per (sample, class) and averages them, instead of summing over
    the whole batch per class.
    SHOULD HURT: dice_loss, the cases with more than one sample.
    """, [("    p = probs.transpose(0, 1).reshape(probs.shape[1], -1)\n"
           "    t = target.transpose(0, 1).reshape(target.shape[1], -1)\n",
           "    p = probs.reshape(probs.shape[0] * probs.shape[1], -1)  # BUG: per sample\n"
           "    t = target.reshape(target.shape[0] * target.shape[1], -1)\n")], base=SEGMENTATION)

make("dice_squared", """
    SUBMISSION dice_squared (buggy): a copy of correct_alt with ONE bug.
    BUG: dice_loss sums squares in the denominator (V-Net's variant).
    SHOULD HURT: dice_loss, every case with values other than 0 and 1.
    """, [(DICE, DICE.replace("(p.sum(1) + t.sum(1) + smooth)", "(p.square().sum(1) + t.square().sum(1) + smooth)"))],
     base=SEGMENTATION)

SEGNET_UNPOOL = "            x = stage(self.unpool(x, index, output_size=size))\n"
RESIZE = "        return self.conv(self.resize(x))\n"

make("segnet_nearest", """
    SUBMISSION segnet_nearest (buggy): a copy of correct_alt with ONE bug.
    BUG: SegNetDecoder upsamples by nearest neighbour to the encoder's size instead of unpooling
    with the indices.
    SHOULD HURT: segnet_decoder, every case.
    """, [(SEGNET_UNPOOL, "            x = stage(F.interpolate(x, size=tuple(size), mode=\"nearest\"))  # BUG\n")],
     base=SEGMENTATION)

make("segnet_top_left", """
    SUBMISSION segnet_top_left (buggy): a copy of correct_alt with ONE bug.
    BUG: SegNetDecoder puts every value at the top-left corner of its window (a bed of nails),
    whatever the indices say.
    SHOULD HURT: segnet_decoder, every case.
    """, [(SEGNET_UNPOOL,
           "            top_left = x.new_zeros(x.shape[0], x.shape[1], *size)\n"
           "            top_left[:, :, 0:2 * x.shape[2]:2, 0:2 * x.shape[3]:2] = x  # BUG: a fixed corner\n"
           "            x = stage(top_left)\n")],
     base=SEGMENTATION)

make("segnet_no_output_size", """
    SUBMISSION segnet_no_output_size (buggy): a copy of correct_alt with ONE bug.
    BUG: SegNetDecoder unpools without output_size: an odd size comes back one smaller (or the
    indices no longer fit).
    SHOULD HURT: segnet_decoder, the cases with an odd size.
    """, [(SEGNET_UNPOOL, "            x = stage(self.unpool(x, index))  # BUG: no output_size\n")], base=SEGMENTATION)

make("segnet_wrong_level", """
    SUBMISSION segnet_wrong_level (buggy): a copy of correct_alt with ONE bug.
    BUG: SegNetDecoder takes the indices in the encoder's order (finest first) while it goes up
    from the coarsest level: each level gets another level's indices, of another shape, which
    max_unpool2d refuses.
    SHOULD HURT: segnet_decoder, the cases with more than one level.
    """, [("        for stage, index, size in zip(self.stages[::-1], indices[::-1], sizes[::-1]):\n",
           "        # BUG: the indices in the encoder's order\n"
           "        for stage, index, size in zip(self.stages[::-1], indices, sizes[::-1]):\n")], base=SEGMENTATION)

make("resize_transposed", """
    SUBMISSION resize_transposed (buggy): a copy of correct_alt with ONE bug.
    BUG: ResizeConv is a transposed convolution with stride scale_factor (padded to the same size):
    learnable upsampling, with its checkerboard artefacts.
    SHOULD HURT: resize_conv, every case with a factor above 1.
    """, [("        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2)\n",
           "        self.conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=scale_factor,  # BUG\n"
           "                                       padding=(kernel_size - 1) // 2, output_padding=scale_factor - 1)\n"),
          (RESIZE, "        return self.conv(x)\n")], base=SEGMENTATION)

make("resize_conv_first", """
    SUBMISSION resize_conv_first (buggy): a copy of correct_alt with ONE bug.
    BUG: ResizeConv convolves first, then resizes.
    SHOULD HURT: resize_conv, every case with a factor above 1.
    """, [(RESIZE, "        return self.resize(self.conv(x))  # BUG: the other order\n")], base=SEGMENTATION)
