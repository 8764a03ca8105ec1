"""Ready-made experiments and laws for specs: modules with shared weights, training steps, dropout."""
from __future__ import annotations

import math
import zlib
from typing import Any, Callable

import torch


def shared_state(module: torch.nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """Weights drawn from each entry's *name*: two modules with the contract's attribute names get
    the same values, as if the reference's state_dict had been loaded into the student's module."""
    state = {}
    for name, value in module.state_dict().items():
        if not value.is_floating_point():
            state[name] = value.clone()  # num_batches_tracked
            continue
        generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(name.encode()))
        if name.endswith("running_var"):
            drawn = 0.5 + torch.rand(value.shape, generator=generator, dtype=torch.float64)
        else:
            drawn = torch.randn(value.shape, generator=generator, dtype=torch.float64)
            drawn /= math.sqrt(value[0].numel()) if value.dim() > 1 else 2.0  # keep activations O(1)
        state[name] = drawn
    return state


def _outputs(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value] if value.is_floating_point() else []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _outputs(v)]
    return []


def _build(cls: Callable[..., torch.nn.Module], args: tuple, kwargs: dict, like: torch.Tensor,
           seed: int | None) -> torch.nn.Module:
    module = cls(*args, **kwargs).to(device=like.device, dtype=like.dtype)
    if seed is not None:
        module.load_state_dict(shared_state(module, seed), strict=False)
    return module


def module_forward(args: tuple = (), kwargs: dict | None = None, *, train: bool, seed: int = 0,
                   gradients: bool = True) -> Callable[..., dict]:
    """Experiment: build `cls(*args, **kwargs)` with shared weights, run it on the input in train
    or eval mode, and report its state_dict layout, parameter count, output and gradients."""

    def experiment(cls, input: torch.Tensor) -> dict:
        module = _build(cls, args, kwargs or {}, input, seed)
        module.train(train)
        result: dict[str, Any] = {
            "state_dict": {name: list(value.shape) for name, value in module.state_dict().items()},
            "parameter count": sum(p.numel() for p in module.parameters()),
        }
        output = module(input)
        result["output"] = output
        if gradients:
            generator = torch.Generator().manual_seed(seed + 1)
            loss = sum((out * torch.randn(out.shape, generator=generator, dtype=torch.float64)
                        .to(out.device, out.dtype)).sum() for out in _outputs(output))
            named = dict(module.named_parameters())
            grads = torch.autograd.grad(loss, list(named.values()), allow_unused=True) if named else ()
            result["gradients"] = dict(zip(named, grads))
        return result

    return experiment


def training_steps(args: tuple = (), kwargs: dict | None = None, *, seed: int | None = None) -> Callable[..., dict]:
    """Experiment for stateful modules: a training step on each input but the last, then eval on
    the last; after each, the output and the whole state_dict (running statistics included)."""

    def experiment(cls, *inputs: torch.Tensor) -> dict:
        module = _build(cls, args, kwargs or {}, inputs[0], seed)
        result = {}
        for step, input in enumerate(inputs, 1):
            evaluating = step == len(inputs)
            module.train(not evaluating)
            output = module(input)
            label = "eval" if evaluating else f"training step {step}"
            result[label] = {"output": output, **module.state_dict()}
        return result

    return experiment


def dropout_runs(p: float, seed: int) -> Callable[..., dict]:
    """Experiment for dropout: one forward pass in train mode and one in eval mode."""

    def experiment(cls, input: torch.Tensor) -> dict:
        module = cls(p)
        module.train()
        torch.manual_seed(seed)
        train = module(input)
        module.eval()
        return {"train": train, "eval": module(input)}

    return experiment


def dropout2d_law(p: float) -> Callable[..., tuple[str, str] | None]:
    """The laws of channel dropout, checked on `dropout_runs` output for an input without zeros:
    identity in eval; in train each (sample, channel) map is either all zeros or the input times
    exactly 1/(1-p); the share of zeroed maps is near p (6 standard deviations: a correct
    implementation essentially never fails)."""

    def law(value: dict, input: torch.Tensor) -> tuple[str, str] | None:
        """`value` is what the child sent (tensors as `wire.TensorValue`), `input` the case's input."""
        x = input.to(torch.float64)
        train, evaluated = value["train"].data, value["eval"].data
        tolerance = 1e-5 * max(1.0, float(x.abs().max()))
        if not torch.allclose(evaluated, x, rtol=0, atol=tolerance):
            return "dropout_in_eval", "in eval mode the output must equal the input: dropout is off after .eval()"
        if p == 0:
            return None if torch.allclose(train, x, rtol=0, atol=tolerance) else \
                ("wrong_values", "with p=0 nothing is dropped: the output must equal the input")
        if p == 1:
            return None if bool((train == 0).all()) else ("wrong_values", "with p=1 every channel is dropped: all zeros")
        ratio = (train / x).flatten(2)  # (N, C, H*W): 0 where dropped, 1/(1-p) where kept
        dropped = ratio.abs() <= tolerance
        whole = dropped.all(-1) | ~dropped.any(-1)
        if not bool(whole.all()):
            n, c = (int(i) for i in torch.nonzero(~whole)[0])
            return ("dropout_elementwise", f"sample {n}, channel {c} is zeroed only in part: Dropout2d drops whole "
                                           "channels, one random draw per (sample, channel), not per element")
        kept = ratio[~dropped.all(-1)]
        scale = 1 / (1 - p)
        if kept.numel() and not torch.allclose(kept, torch.full_like(kept, scale), rtol=1e-5, atol=0):
            if torch.allclose(kept, torch.ones_like(kept), rtol=1e-5, atol=0):
                return ("dropout_unscaled", f"kept channels must be scaled by 1/(1-p) = {scale:.4g} so that the "
                                            "expected output equals the input; yours are unscaled")
            return "wrong_values", f"kept channels are scaled by {kept.flatten()[0].item():.4g}, expected 1/(1-p) = {scale:.4g}"
        maps = whole.numel()
        rate = float(dropped.all(-1).sum()) / maps
        if abs(rate - p) > 6 * math.sqrt(p * (1 - p) / maps) + 1 / maps:
            return "dropout_rate", f"{rate:.1%} of the channels were dropped, expected about p = {p:.0%}"
        return None

    return law
