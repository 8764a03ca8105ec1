# ATTACK: torch._C._VariableFunctions is guarded by a proxy, but its class,
# torch._C._VariableFunctionsClass, still holds the real conv1d as a static method.
# MUST: conv1d scores nothing (status `forbidden`).
import importlib


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    cls = getattr(importlib.import_module("torch._C"), "_VariableFunctions" + "Class")
    real = cls.__dict__["conv" + "1d"]
    real = getattr(real, "__func__", real)
    return real(input, weight, bias, stride, padding, dilation, groups)
