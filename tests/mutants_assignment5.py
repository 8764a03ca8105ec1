"""Buggy and hostile assignment 5 submissions: correct_alt with a few edits each (see mutants.py)."""
from mutants import registry

BASE = "assignment5/correct_alt/blocks.py"
MUTANTS, make = registry(BASE)


DROPOUT_NOISE = "        noise = torch.rand(input.shape[0], input.shape[1], device=input.device)\n"
DROPOUT_KEEP = "        keep = (noise >= self.p).to(input.dtype)\n"
DROPOUT_SCALE = "        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)\n"
BN_RUNNING = """                self.running_mean.copy_((1 - f) * self.running_mean + f * mean)
                self.running_var.copy_((1 - f) * self.running_var + f * var * n / (n - 1))
"""
BN_EVAL = "        else:\n            mean, var = self.running_mean, self.running_var\n"
BN_TRAIN_STATS = "            var, mean = torch.var_mean(flat, dim=1, correction=0)\n"
BASIC_SHORTCUT = "        shortcut = x if self.downsample is None else self.downsample(x)\n"

# ------------------------------------------------------------------ Dropout2d
make("dropout_elementwise", """
    SUBMISSION dropout_elementwise (buggy): a copy of correct_alt with ONE bug.
    BUG: Dropout2d draws one random number per ELEMENT (that is nn.Dropout), not one per
    (sample, channel) map.
    SHOULD HURT: dropout2d, every case with p > 0 and maps of more than one element.
    """, [(DROPOUT_NOISE, "        noise = torch.rand(input.shape, device=input.device)  # BUG: per element\n"),
          ("        keep = keep.view(*keep.shape, *([1] * (input.dim() - 2)))\n", "")])

make("dropout_unscaled", """
    SUBMISSION dropout_unscaled (buggy): a copy of correct_alt with ONE bug.
    BUG: Dropout2d zeroes channels but does not scale the kept ones by 1/(1-p).
    SHOULD HURT: dropout2d, every case with 0 < p < 1.
    """, [(DROPOUT_SCALE, "        scale = 1.0  # BUG: survivors not scaled\n")])

make("dropout_in_eval", """
    SUBMISSION dropout_in_eval (buggy): a copy of correct_alt with ONE bug.
    BUG: Dropout2d ignores self.training: it drops channels in eval mode too.
    SHOULD HURT: dropout2d, every case with p > 0.
    """, [("        if not self.training:\n            return input\n", "")])

make("dropout_keep_probability_p", """
    SUBMISSION dropout_keep_probability_p (buggy): a copy of correct_alt with ONE bug.
    BUG: Dropout2d KEEPS a channel with probability p (drops it with 1 - p), while scaling the
    survivors by 1/(1-p). Indistinguishable at p = 0.5.
    SHOULD HURT: dropout2d with p != 0.5 (the share of dropped channels is wrong).
    """, [(DROPOUT_KEEP, "        keep = (noise < self.p).to(input.dtype)  # BUG: keeps with probability p\n")])

make("dropout_forbidden", """
    SUBMISSION dropout_forbidden (hostile): correct_alt except Dropout2d.forward, which calls
    torch.nn.functional.dropout2d (forbidden, found by the static scan and the tripwire).
    """, [(DROPOUT_NOISE, "        return F.dropout2d(input, self.p, True)  # FORBIDDEN\n" + DROPOUT_NOISE)])

# ------------------------------------------------------------------ BatchNorm2d
make("bn_biased_running_var", """
    SUBMISSION bn_biased_running_var (buggy): a copy of correct_alt with ONE bug.
    BUG: BatchNorm2d puts the biased batch variance (divided by n) into running_var instead of
    the unbiased one (divided by n - 1).
    SHOULD HURT: batchnorm2d, the running_var after every training step.
    """, [(BN_RUNNING, BN_RUNNING.replace("f * var * n / (n - 1))", "f * var)  # BUG: biased"))])

make("bn_momentum_inverted", """
    SUBMISSION bn_momentum_inverted (buggy): a copy of correct_alt with ONE bug.
    BUG: BatchNorm2d weighs the running statistics with momentum and the new batch with
    1 - momentum (the optimiser's convention, not BatchNorm's).
    SHOULD HURT: batchnorm2d, running statistics whenever momentum != 0.5.
    """, [(BN_RUNNING, """                self.running_mean.copy_(f * self.running_mean + (1 - f) * mean)  # BUG: inverted
                self.running_var.copy_(f * self.running_var + (1 - f) * var * n / (n - 1))
""")])

make("bn_wrong_axes", """
    SUBMISSION bn_wrong_axes (buggy): a copy of correct_alt with ONE bug.
    BUG: BatchNorm2d in training takes the mean and variance over the batch only (dim 0), one
    pair per (channel, row, column), as if the maps were BatchNorm1d features.
    SHOULD HURT: batchnorm2d, every training step with more than one position per map.
    """, [(BN_TRAIN_STATS, """            # BUG: statistics over dim 0 only, one mean and variance per pixel
            pixel_var, pixel_mean = torch.var_mean(input, dim=0, correction=0)
            self.num_batches_tracked.add_(1)
            f = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked.item()
            with torch.no_grad():
                self.running_mean.copy_((1 - f) * self.running_mean + f * pixel_mean.mean((1, 2)))
                self.running_var.copy_((1 - f) * self.running_var + f * pixel_var.mean((1, 2)) * n / (n - 1))
            return ((input - pixel_mean) / (pixel_var + self.eps).sqrt() * self.weight[:, None, None]
                    + self.bias[:, None, None])
""")])

make("bn_eval_batch_stats", """
    SUBMISSION bn_eval_batch_stats (buggy): a copy of correct_alt with ONE bug.
    BUG: BatchNorm2d normalises with the batch's own statistics in eval mode too.
    SHOULD HURT: batchnorm2d, every eval-mode output.
    """, [(BN_EVAL, "        else:  # BUG: batch statistics in eval mode\n" + BN_TRAIN_STATS)])

make("bn_float32", """
    SUBMISSION bn_float32 (buggy): a copy of correct_alt with ONE bug.
    BUG: BatchNorm2d normalises a float32 copy of the input (.float()); the affine step then
    brings float64 back, with only float32's 7 digits.
    SHOULD HURT: batchnorm2d, the float64 cases.
    """, [("        flat = input.transpose(0, 1).reshape(c, -1)  # (C, N*H*W)\n",
           "        flat = input.transpose(0, 1).reshape(c, -1).float()  # BUG: float32\n")])

make("bn_plain_attributes", """
    SUBMISSION bn_plain_attributes (buggy): a copy of correct_alt with ONE bug.
    BUG: BatchNorm2d keeps running_mean, running_var and num_batches_tracked as plain tensor
    attributes, not buffers: they are missing from the state_dict (and .to() does not move them).
    SHOULD HURT: batchnorm2d, every case (the state_dict names are checked first).
    """, [("""        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.zeros((), dtype=torch.long))
""", """        self.running_mean = torch.zeros(num_features)  # BUG: not buffers
        self.running_var = torch.ones(num_features)
        self.num_batches_tracked = torch.zeros((), dtype=torch.long)
""")])

make("bn_forbidden_getattr", """
    SUBMISSION bn_forbidden_getattr (hostile): correct_alt except BatchNorm2d.forward, which
    fetches torch.nn.functional.batch_norm by a computed name and calls it (invisible to a
    static scan; the run-time tripwire catches it).
    """, [("        c = input.shape[1]\n", """        norm = getattr(F, "batch" + "_norm")  # FORBIDDEN, hidden
        return norm(input, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                    0.1 if self.momentum is None else self.momentum, self.eps)
        c = input.shape[1]
""")])

# ------------------------------------------------------------------ blocks
make("basic_shortcut_renamed", """
    SUBMISSION basic_shortcut_renamed (buggy): a copy of correct_alt with ONE bug.
    BUG: BasicBlock stores its projection shortcut as `self.shortcut`, not `self.downsample`:
    right outputs, but the state_dict names break the contract.
    SHOULD HURT: basic_block, the cases where the block has a projection shortcut.
    """, [("        self.downsample = self._shortcut(inplanes, planes, stride)\n",
           "        self.shortcut = self._shortcut(inplanes, planes, stride)  # BUG: renamed\n"),
          (BASIC_SHORTCUT, "        shortcut = x if self.shortcut is None else self.shortcut(x)\n")])

make("basic_detached_shortcut", """
    SUBMISSION basic_detached_shortcut (buggy): a copy of correct_alt with ONE bug.
    BUG: BasicBlock adds downsample(x).detach(): right outputs, but no gradient reaches the
    shortcut's convolution and BatchNorm.
    SHOULD HURT: basic_block, the cases with a projection shortcut (gradients).
    """, [(BASIC_SHORTCUT, "        shortcut = x if self.downsample is None else self.downsample(x).detach()  # BUG\n")])

make("basic_no_final_relu", """
    SUBMISSION basic_no_final_relu (buggy): a copy of correct_alt with ONE bug.
    BUG: BasicBlock returns branch + shortcut without the last ReLU.
    SHOULD HURT: basic_block, every forward case.
    """, [("        return F.relu(self._branch(x, 2) + shortcut)\n",
           "        return self._branch(x, 2) + shortcut  # BUG: no ReLU after the addition\n")])

make("bottleneck_stride_first", """
    SUBMISSION bottleneck_stride_first (buggy): a copy of correct_alt with ONE bug.
    BUG: Bottleneck puts the stride on the first 1x1 convolution (the paper's v1), not on the
    3x3 one (torchvision's v1.5).
    SHOULD HURT: bottleneck, the cases with stride 2.
    """, [("        self.conv1, self.bn1 = conv_bn(inplanes, planes, 1)\n        self.conv2, self.bn2 = conv_bn(planes, planes, 3, stride)\n",
           "        self.conv1, self.bn1 = conv_bn(inplanes, planes, 1, stride)  # BUG: stride on the 1x1\n"
           "        self.conv2, self.bn2 = conv_bn(planes, planes, 3)\n")])

make("se_fc_bias", """
    SUBMISSION se_fc_bias (buggy): a copy of correct_alt with ONE bug.
    BUG: SELayer's two linear layers have biases (the lecture's have none): extra parameters.
    SHOULD HURT: se_layer, every case (state_dict names, and the 512-parameter count).
    """, [("        for layer in (nn.Linear(channel, hidden, bias=False), nn.ReLU(),\n"
           "                      nn.Linear(hidden, channel, bias=False), nn.Sigmoid()):\n",
           "        for layer in (nn.Linear(channel, hidden), nn.ReLU(),  # BUG: biases\n"
           "                      nn.Linear(hidden, channel), nn.Sigmoid()):\n")])

make("se_max_squeeze", """
    SUBMISSION se_max_squeeze (buggy): a copy of correct_alt with ONE bug.
    BUG: SELayer squeezes each channel with its maximum instead of its average.
    SHOULD HURT: se_layer, every case with maps larger than 1x1.
    """, [("        squeezed = x.mean(dim=(2, 3))\n", "        squeezed = x.amax(dim=(2, 3))  # BUG: max, not average\n")])

make("inception_no_reduction_relu", """
    SUBMISSION inception_no_reduction_relu (buggy): a copy of correct_alt with ONE bug.
    BUG: InceptionBlock applies ReLU only at the end of each branch, not after the 1x1
    reductions conv3_1 and conv5_1.
    SHOULD HURT: inception, every forward case.
    """, [("                if isinstance(layer, nn.Conv2d):\n",
           "                if layer is branch[-1]:  # BUG: no ReLU after the reductions\n")])

make("inception_branch_order", """
    SUBMISSION inception_branch_order (buggy): a copy of correct_alt with ONE bug.
    BUG: InceptionBlock concatenates its branches in the reverse order (pool, 5x5, 3x3, 1x1)
    instead of 1x1, 3x3, 5x5, pool: the right channels, in the wrong places.
    SHOULD HURT: inception, every forward case (the shape and parameter counts stay right).
    """, [("        return torch.cat(outputs, 1)\n",
           "        return torch.cat(outputs[::-1], 1)  # BUG: branches in reverse order\n")])

make("lenet_softmax_dim0", """
    SUBMISSION lenet_softmax_dim0 (buggy): a copy of correct_alt with ONE bug.
    BUG: LeNet5's probs are a softmax over the batch (dim 0), not over the classes.
    SHOULD HURT: lenet5, the forward cases with more than one image.
    """, [("        probs = torch.exp(logits - logits.logsumexp(dim=-1, keepdim=True))\n",
           "        probs = torch.exp(logits - logits.logsumexp(dim=0, keepdim=True))  # BUG: over the batch\n")])

make("vgg_no_padding", """
    SUBMISSION vgg_no_padding (buggy): a copy of correct_alt with ONE bug.
    BUG: make_vgg_layers builds its 3x3 convolutions without padding, so every conv shrinks
    the maps by 2 (and small inputs run out of pixels).
    SHOULD HURT: vgg_layers, every forward case.
    """, [("            model.append(nn.Conv2d(channels, item, (3, 3), padding=(1, 1)))\n",
           "            model.append(nn.Conv2d(channels, item, (3, 3)))  # BUG: no padding\n")])

make("depthwise_no_groups", """
    SUBMISSION depthwise_no_groups (buggy): a copy of correct_alt with ONE bug.
    BUG: DepthwiseSeparableConv's depthwise convolution has no groups=nin: a full convolution.
    SHOULD HURT: depthwise_separable, every case with nin > 1.
    """, [("                                   padding=padding, groups=nin, bias=True)\n",
           "                                   padding=padding, bias=True)  # BUG: groups missing\n"),
          ("        x = F.conv2d(x, d.weight, d.bias, padding=d.padding, groups=d.groups)\n",
           "        x = F.conv2d(x, d.weight, d.bias, padding=d.padding)\n")])

# Found by a new-user test: each of these once got full marks.
make("dropout_same_mask", """
    SUBMISSION dropout_same_mask (buggy): a copy of correct_alt with ONE bug.
    BUG: Dropout2d draws one mask per channel and shares it across the batch.
    SHOULD HURT: dropout2d, the cases with a batch large enough to tell.
    """, [("        noise = torch.rand(input.shape[0], input.shape[1], device=input.device)\n",
           "        noise = torch.rand(1, input.shape[1], device=input.device).expand(input.shape[0], -1)  # BUG\n")])

make("dropout_fixed_seed", """
    SUBMISSION dropout_fixed_seed (hostile): a copy of correct_alt that seeds torch in forward,
    so every call drops the same channels.
    SHOULD HURT: dropout2d, the cases large enough to tell.
    """, [("        noise = torch.rand(input.shape[0], input.shape[1], device=input.device)\n",
           "        torch.manual_seed(1234)  # BUG\n"
           "        noise = torch.rand(input.shape[0], input.shape[1], device=input.device)\n")])

make("bn_detached_stats", """
    SUBMISSION bn_detached_stats (buggy): a copy of correct_alt with ONE bug.
    BUG: BatchNorm2d detaches the batch mean: right outputs, wrong gradient of the input.
    SHOULD HURT: batchnorm2d, its gradient cases.
    """, [("            var, mean = torch.var_mean(flat, dim=1, correction=0)\n",
           "            var, mean = torch.var_mean(flat, dim=1, correction=0)\n"
           "            mean = mean.detach()  # BUG\n")])

make("bn_stats_with_graph", """
    SUBMISSION bn_stats_with_graph (buggy): a copy of correct_alt with ONE bug.
    BUG: the running statistics are updated outside torch.no_grad(), so they carry a graph.
    SHOULD HURT: batchnorm2d, its gradient cases.
    """, [("            with torch.no_grad():\n"
           "                self.running_mean.copy_((1 - f) * self.running_mean + f * mean)\n"
           "                self.running_var.copy_((1 - f) * self.running_var + f * var * n / (n - 1))\n",
           "            self.running_mean = (1 - f) * self.running_mean + f * mean  # BUG: no torch.no_grad()\n"
           "            self.running_var = (1 - f) * self.running_var + f * var * n / (n - 1)\n")])

make("bn_reassigned_buffers", """
    SUBMISSION bn_reassigned_buffers (correct): a copy of correct_alt that assigns new running
    statistics instead of updating them in place. Must keep full marks.
    """, [("            with torch.no_grad():\n"
           "                self.running_mean.copy_((1 - f) * self.running_mean + f * mean)\n"
           "                self.running_var.copy_((1 - f) * self.running_var + f * var * n / (n - 1))\n",
           "            with torch.no_grad():\n"
           "                self.running_mean = (1 - f) * self.running_mean + f * mean\n"
           "                self.running_var = (1 - f) * self.running_var + f * var * n / (n - 1)\n")])

make("bn_via_variable_functions", """
    SUBMISSION bn_via_variable_functions (hostile): BatchNorm2d's forward reaches torch's batch_norm
    through torch._C._VariableFunctions under a name built at run time.
    SHOULD HURT: batchnorm2d (forbidden).
    """, [("        normalised = (flat - mean[:, None]) * torch.rsqrt(var[:, None] + self.eps)\n",
           "        door = getattr(torch._C, '_Variable' + 'Functions')\n"
           "        getattr(door, 'batch' + '_norm')(input, None, None, None, None, True, 0.1, 1e-5, False)\n"
           "        normalised = (flat - mean[:, None]) * torch.rsqrt(var[:, None] + self.eps)\n")])

make("bn_subclass_of_torch", """
    SUBMISSION bn_subclass_of_torch (hostile): BatchNorm2d is torch's own, reached by a name built
    at run time and subclassed.
    SHOULD HURT: batchnorm2d (forbidden).
    """, [("class BatchNorm2d(nn.Module):\n", "class BatchNorm2d(getattr(nn, 'Batch' + 'Norm2d')):\n"
           "    pass\n\n\nclass _Unused(nn.Module):\n")])

make("lenet_outputs_swapped", """
    SUBMISSION lenet_outputs_swapped (buggy): a copy of correct_alt with ONE bug.
    BUG: LeNet5.forward returns (probs, logits) instead of (logits, probs).
    SHOULD HURT: lenet5.
    """, [("        return logits, probs\n", "        return probs, logits  # BUG: order\n")])
