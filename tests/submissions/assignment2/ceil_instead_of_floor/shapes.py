# SUBMISSION ceil_instead_of_floor (buggy): a copy of correct_alt with ONE bug.
# BUG: conv_output_size rounds (size + 2p - d(k-1) - 1) / stride UP instead of down.
# SHOULD HURT: conv_output_size when stride > 1 and the division is not exact.
# (trace_shapes uses its own private helper and stays correct.)

"""Assignment 2: shape and size arithmetic (alternative correct solution).

Style: small pure helpers for the size formulas, and ``trace_shapes`` as a
dispatch table ``layer type -> function(layer, shape) -> shape``.  Nothing here
ever runs a model: every shape comes from the layers' hyper-parameters.
All results are plain Python ints; invalid arguments raise ValueError.
"""
import operator

from torch import nn


# --------------------------------------------------------------------------- validation
def _int(value, name, minimum):
    value = operator.index(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _positive_result(value, what):
    if value < 1:
        raise ValueError(f"{what}: the output size would be {value} (< 1)")
    return value


def _pair(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair, got {value!r}")
        return operator.index(value[0]), operator.index(value[1])
    value = operator.index(value)
    return value, value


# --------------------------------------------------------------------------- length formulas
def _conv_len(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _pool_len(size, kernel, stride, padding, dilation, ceil_mode):
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    # torch: the last window must start inside the input or the left padding
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _transposed_len(size, kernel, stride, padding, output_padding, dilation):
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


# --------------------------------------------------------------------------- public sizes
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    size = _int(size, "size", 1)
    kernel_size = _int(kernel_size, "kernel_size", 1)
    stride = _int(stride, "stride", 1)
    padding = _int(padding, "padding", 0)
    dilation = _int(dilation, "dilation", 1)
    span = size + 2 * padding - dilation * (kernel_size - 1) - 1
    return _positive_result(-(-span // stride) + 1, "conv_output_size")  # BUG: ceil


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    size = _int(size, "size", 1)
    kernel_size = _int(kernel_size, "kernel_size", 1)
    stride = kernel_size if stride is None else _int(stride, "stride", 1)
    padding = _int(padding, "padding", 0)
    dilation = _int(dilation, "dilation", 1)
    if padding > kernel_size // 2:
        raise ValueError("pad should be at most half of kernel size")
    return _positive_result(
        _pool_len(size, kernel_size, stride, padding, dilation, bool(ceil_mode)),
        "pool_output_size")


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                               dilation=1):
    size = _int(size, "size", 1)
    kernel_size = _int(kernel_size, "kernel_size", 1)
    stride = _int(stride, "stride", 1)
    padding = _int(padding, "padding", 0)
    output_padding = _int(output_padding, "output_padding", 0)
    dilation = _int(dilation, "dilation", 1)
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError("output padding must be smaller than either stride or dilation")
    return _positive_result(
        _transposed_len(size, kernel_size, stride, padding, output_padding, dilation),
        "conv_transpose_output_size")


def same_padding(kernel_size, dilation=1):
    kernel_size = _int(kernel_size, "kernel_size", 1)
    dilation = _int(dilation, "dilation", 1)
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def receptive_field(layers):
    field, jump = 1, 1
    for layer in layers:
        layer = tuple(layer)
        if len(layer) not in (2, 3):
            raise ValueError(f"expected (kernel_size, stride, dilation), got {layer!r}")
        kernel = _int(layer[0], "kernel_size", 1)
        stride = _int(layer[1], "stride", 1)
        dilation = _int(layer[2], "dilation", 1) if len(layer) == 3 else 1
        field += dilation * (kernel - 1) * jump
        jump *= stride
    return field


def _conv_channels(in_channels, out_channels, groups):
    in_channels = _int(in_channels, "in_channels", 1)
    out_channels = _int(out_channels, "out_channels", 1)
    groups = _int(groups, "groups", 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError("in_channels and out_channels must be divisible by groups")
    return in_channels, out_channels, groups


def conv_parameters(in_channels, out_channels, kernel_size, groups=1, bias=True):
    in_channels, out_channels, groups = _conv_channels(in_channels, out_channels, groups)
    kh, kw = (_int(k, "kernel_size", 1) for k in _pair(kernel_size, "kernel_size"))
    weights = out_channels * (in_channels // groups) * kh * kw
    return weights + (out_channels if bias else 0)


def conv_mult_adds(in_channels, out_channels, kernel_size, output_size, groups=1):
    in_channels, out_channels, groups = _conv_channels(in_channels, out_channels, groups)
    kh, kw = (_int(k, "kernel_size", 1) for k in _pair(kernel_size, "kernel_size"))
    oh, ow = (_int(o, "output_size", 1) for o in _pair(output_size, "output_size"))
    return out_channels * oh * ow * (in_channels // groups) * kh * kw


# --------------------------------------------------------------------------- trace_shapes
def _spatial(shape, layer):
    if len(shape) not in (3, 4):
        raise ValueError(f"{type(layer).__name__} expects a (N,) C, H, W shape, got {shape}")
    return shape[:-2], shape[-2], shape[-1]


def _check_channels(shape, expected, layer):
    if shape[-3] != expected:
        raise ValueError(f"{type(layer).__name__} expects {expected} channels, got shape {shape}")


def _conv2d(layer, shape):
    lead, h, w = _spatial(shape, layer)
    _check_channels(shape, layer.in_channels, layer)
    if layer.padding == "same":
        sizes = (h, w)
    else:
        padding = (0, 0) if layer.padding == "valid" else _pair(layer.padding, "padding")
        sizes = tuple(_conv_len(n, k, s, p, d) for n, k, s, p, d in
                      zip((h, w), layer.kernel_size, layer.stride, padding, layer.dilation))
    return lead[:-1] + (layer.out_channels,) + sizes


def _conv_transpose2d(layer, shape):
    lead, h, w = _spatial(shape, layer)
    _check_channels(shape, layer.in_channels, layer)
    sizes = tuple(_transposed_len(n, k, s, p, op, d) for n, k, s, p, op, d in
                  zip((h, w), layer.kernel_size, layer.stride, layer.padding,
                      layer.output_padding, layer.dilation))
    return lead[:-1] + (layer.out_channels,) + sizes


def _pool2d(layer, shape):
    lead, h, w = _spatial(shape, layer)
    kernel = _pair(layer.kernel_size, "kernel_size")
    stride = kernel if layer.stride is None else _pair(layer.stride, "stride")
    padding = _pair(layer.padding, "padding")
    dilation = _pair(getattr(layer, "dilation", 1), "dilation")
    sizes = tuple(_pool_len(n, k, s, p, d, layer.ceil_mode) for n, k, s, p, d in
                  zip((h, w), kernel, stride, padding, dilation))
    return lead + sizes


def _adaptive2d(layer, shape):
    lead, h, w = _spatial(shape, layer)
    target = layer.output_size
    if not isinstance(target, (tuple, list)):
        target = (target, target)
    sizes = tuple(n if t is None else operator.index(t) for n, t in zip((h, w), target))
    return lead + sizes


def _batchnorm2d(layer, shape):
    _spatial(shape, layer)
    _check_channels(shape, layer.num_features, layer)
    return shape


def _flatten(layer, shape):
    ndim = len(shape)
    start = layer.start_dim % ndim
    end = layer.end_dim % ndim
    merged = 1
    for n in shape[start:end + 1]:
        merged *= n
    return shape[:start] + (merged,) + shape[end + 1:]


def _linear(layer, shape):
    if shape[-1] != layer.in_features:
        raise ValueError(f"Linear expects {layer.in_features} features, got shape {shape}")
    return shape[:-1] + (layer.out_features,)


def _sequential(layer, shape):
    for child in layer:
        shape = _step(child, shape)
    return shape


def _same_shape(layer, shape):
    return shape


_RULES = {
    nn.Conv2d: _conv2d,
    nn.ConvTranspose2d: _conv_transpose2d,
    nn.MaxPool2d: _pool2d,
    nn.AvgPool2d: _pool2d,
    nn.AdaptiveAvgPool2d: _adaptive2d,
    nn.AdaptiveMaxPool2d: _adaptive2d,
    nn.BatchNorm2d: _batchnorm2d,
    nn.Flatten: _flatten,
    nn.Linear: _linear,
    nn.Sequential: _sequential,
}
for _cls in (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid,
             nn.Softmax, nn.LogSoftmax, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
             nn.AlphaDropout, nn.Identity):
    _RULES[_cls] = _same_shape


def _step(layer, shape):
    rule = _RULES.get(type(layer))
    if rule is None:
        rule = next((r for cls, r in _RULES.items() if isinstance(layer, cls)), None)
    if rule is None:
        raise ValueError(f"trace_shapes does not know the layer {type(layer).__name__}")
    return tuple(int(n) for n in rule(layer, tuple(shape)))


def trace_shapes(model, input_shape):
    shape = tuple(operator.index(n) for n in input_shape)
    shapes = []
    for layer in model:
        shape = _step(layer, shape)
        shapes.append(shape)
    return shapes


# --------------------------------------------------------------------------- parameter_table
def parameter_table(model):
    rows = []
    for name, module in model.named_modules():
        own = dict(module.named_parameters(recurse=False))
        if not own:
            continue
        bias = own.get("bias")
        weights = sum(p.numel() for key, p in own.items() if key != "bias")
        rows.append((name, int(weights), int(bias.numel()) if bias is not None else 0))
    return rows
