"""Ready-made experiments and laws for specs: modules with shared weights, training steps, dropout."""
from __future__ import annotations

import contextlib
import math
import zlib
from typing import Any, Callable

import torch

from grader.engine import forbidden
from grader.i18n import N_
from grader.spec import Broken, recipe

_grad = torch.autograd.grad  # taken at import, before a task's tripwires replace torch.autograd's names

GRADIENTS = "gradients"  # the part of an experiment's output that holds gradients
BUFFERS_KEPT_OUT = N_("buffers kept out of autograd (update them under torch.no_grad())")
# The names of experiments' parts, which messages show ("training step 1 / output: ..."): the
# catalog translates them as it does case names (i18n.say_name), numbers as fields.
PART_NAMES = (N_("output"), N_("parameter count"), N_("gradients"), N_("input"), N_("input {0}"), N_("train"),
              N_("train again"), N_("eval"), N_("training step {0}"), N_("argument {0}"))


def without_gradients(value: Any) -> Any:
    """An experiment's output less its gradients: what a known mistake is recognised by (a detached
    bias has the gradient of a missing one), and much less data to send."""
    return {k: v for k, v in value.items() if k != GRADIENTS} if isinstance(value, dict) else value


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
        elif name.endswith("weight") and value.dim() == 1:
            # A norm layer's scale near 1, as trained ones are: a scale near 0 would leave only the
            # shift, and a block's output all on one side of a ReLU hides a missing ReLU.
            drawn = 1.0 + torch.randn(value.shape, generator=generator, dtype=torch.float64) / 4
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


@recipe
def module_forward(args: tuple = (), kwargs: dict | None = None, *, train: bool, seed: int = 0,
                   gradients: bool = True) -> Callable[..., dict]:
    """Experiment: build `cls(*args, **kwargs)` with shared weights, run it on the input in train
    or eval mode, and report its state_dict layout, parameter count, output, the gradients of the
    input and of every parameter, and whether the buffers stayed out of the autograd graph. The
    input may be a list of tensors, for a forward that takes one (FPN's feature maps)."""

    def experiment(cls, input: torch.Tensor | list[torch.Tensor]) -> dict:
        several = isinstance(input, (list, tuple))
        inputs: list[torch.Tensor] = list(input) if isinstance(input, (list, tuple)) else [input]
        module = _build(cls, args, kwargs or {}, inputs[0], seed)
        module.train(train)
        result: dict[str, Any] = {
            "state_dict": {name: list(value.shape) for name, value in module.state_dict().items()},
            "parameter count": sum(p.numel() for p in module.parameters()),
        }
        # The module sees copies of leaves that require grad: the inputs' gradients are checked, and
        # what the module does to its inputs in place is copied back for the usual check.
        leaves = [x.detach().clone().requires_grad_(gradients) for x in inputs]
        copies = [leaf.clone() for leaf in leaves] if gradients else inputs
        output = module(copies if several else copies[0])
        result["output"] = output
        if gradients:
            names = [f"input {index}" for index in range(1, len(inputs) + 1)] if several else ["input"]
            result[GRADIENTS] = _gradients(output, {**dict(module.named_parameters()), **dict(zip(names, leaves))},
                                           seed)
            for original, copy in zip(inputs, copies):
                original.detach().copy_(copy.detach())
        result[BUFFERS_KEPT_OUT] = all(
            not buffer.requires_grad for buffer in module.buffers())
        return result

    return experiment


@recipe
def parameter_count(*args: Any, meta: bool = False, **kwargs: Any) -> Callable[..., int]:
    """Experiment: the number of parameters of `cls(*args, **kwargs)` (built without memory if `meta`)."""
    def experiment(cls) -> int:
        with torch.device("meta") if meta else contextlib.nullcontext():
            return sum(p.numel() for p in cls(*args, **kwargs).parameters())
    return experiment


@recipe
def with_inputs_moved(experiment: Callable[..., Any], scale: float, shift: float) -> Callable[..., Any]:
    """The experiment on inputs `scale * x + shift`: batch statistics far from 0 and 1."""
    def moved(cls, *inputs: torch.Tensor) -> Any:
        return experiment(cls, *(x * scale + shift for x in inputs))
    return moved


def output_shape(target: Callable[..., Any], *args: Any, **kwargs: Any) -> list[int]:
    """Experiment: only the shape of the output."""
    return list(target(*args, **kwargs).shape)


def _gradients(output: Any, tensors: dict[str, torch.Tensor], seed: int, zeros_for_unused: bool = False) -> dict:
    """Gradients of a seeded random projection of the output, for each named tensor. An unused
    tensor gets None, or zeros with `zeros_for_unused` (where None and zero mean the same)."""
    generator = torch.Generator().manual_seed(seed + 1)
    loss = sum((out * torch.randn(out.shape, generator=generator, dtype=torch.float64)
                .to(out.device, out.dtype)).sum() for out in _outputs(output) if out.requires_grad)
    if not isinstance(loss, torch.Tensor):  # nothing differentiable came out: the caller reports that
        return dict.fromkeys(tensors)
    try:
        with forbidden.grader_working():
            grads = _grad(loss, list(tensors.values()), allow_unused=True, materialize_grads=zeros_for_unused)
    except RuntimeError as error:
        # The in-place hint only for autograd's own complaint about it: a wrong shape from the
        # student's own autograd.Function.backward, say, has nothing to do with in-place operations.
        hint = (" (an in-place operation such as +=, relu(inplace=True) or x[...] = ... changed a tensor that "
                "autograd needed)") if "inplace operation" in str(error) else ""
        raise RuntimeError(f"computing gradients after your forward failed: {str(error)[:300]}{hint}") from None
    return dict(zip(tensors, grads))


def output_and_gradients(target: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
    """Experiment for differentiable functions: the output, and the gradients of a random
    projection of it with respect to every floating-point tensor argument."""
    named = {**{f"argument {i + 1}": a for i, a in enumerate(args)}, **kwargs}
    tensors = {name: value for name, value in named.items()
               if isinstance(value, torch.Tensor) and value.is_floating_point()}
    for tensor in tensors.values():
        if not tensor.requires_grad:
            tensor.requires_grad_(True)
    output = target(*args, **kwargs)
    return {"output": output, GRADIENTS: _gradients(output, tensors, seed=0, zeros_for_unused=True)}


@recipe
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
            state = {name: value.detach().clone() for name, value in module.state_dict().items()}
            result[label] = {"output": output, **state}  # a snapshot: the buffers change in the next step
        return result

    return experiment


@recipe
def dropout_runs(p: float, seed: int) -> Callable[..., dict]:
    """Experiment for dropout: two forward passes in train mode (after seeding torch), then one in
    eval mode. Only the first gets the case's input itself, so that changing it in place is
    reported as that, not as a failure of the later passes."""

    def experiment(cls, input: torch.Tensor) -> dict:
        pristine = input.detach().clone()
        module = cls(p)
        module.train()
        torch.manual_seed(seed)
        first = module(input)
        second = module(pristine.clone())
        module.eval()
        return {"train": first, "train again": second, "eval": module(pristine.clone())}

    return experiment


@recipe
def dropout2d_law(p: float) -> Callable[..., Broken | None]:
    """The laws of channel dropout, checked on `dropout_runs` output for an input without zeros:
    identity in eval; in train each (sample, channel) map is either all zeros or the input times
    exactly 1/(1-p); the share of zeroed maps is near p (6 standard deviations); and the draws are
    random: independent across samples, across channels, and from one pass to the next. Each law
    is checked only where a correct implementation breaks it with a chance under 1e-9."""

    def law(value: dict, input: torch.Tensor) -> Broken | None:
        """`value` is what the child sent (tensors as `wire.TensorValue`), `input` the case's input."""
        x = input.to(torch.float64)
        tolerance = 1e-5 * max(1.0, float(x.abs().max()))
        if not torch.allclose(value["eval"].data, x, rtol=0, atol=tolerance):
            return "dropout_in_eval", N_("in eval mode the output must equal the input: dropout is off after .eval()"), {}
        masks = []
        for name in ("train", "train again"):
            kept = _kept_channels(value[name].data, x, p, tolerance)
            if isinstance(kept, tuple):
                return kept
            masks.append(kept)
        return _random_draws(masks, p)

    return law


def _kept_channels(train: torch.Tensor, x: torch.Tensor, p: float, tolerance: float) -> torch.Tensor | Broken:
    """Which (sample, channel) maps one training pass kept, or what law it broke."""
    if p == 0 and not torch.allclose(train, x, rtol=0, atol=tolerance):
        return "wrong_values", N_("with p=0 nothing is dropped: the output must equal the input"), {}
    if p == 1 and not bool((train == 0).all()):
        return "wrong_values", N_("with p=1 every channel is dropped: the output is all zeros"), {}
    ratio = (train / x).flatten(2)  # (N, C, H*W): 0 where dropped, 1/(1-p) where kept
    dropped = ratio.abs() <= tolerance
    whole = dropped.all(-1) | ~dropped.any(-1)
    if not bool(whole.all()):
        n, c = (int(i) for i in torch.nonzero(~whole)[0])
        return ("dropout_elementwise", N_("sample {sample}, channel {channel} is zeroed only in part: Dropout2d "
                                          "drops whole channels, one random draw per (sample, channel), not per "
                                          "element"), {"sample": n, "channel": c})
    kept = ~dropped.all(-1)
    if p in (0, 1):
        return kept
    scale, ratios = 1 / (1 - p), ratio[kept]
    if ratios.numel() and not torch.allclose(ratios, torch.full_like(ratios, scale), rtol=1e-5, atol=0):
        if torch.allclose(ratios, torch.ones_like(ratios), rtol=1e-5, atol=0):
            return ("dropout_unscaled", N_("kept channels must be scaled by 1/(1-p) = {scale} so that the "
                                           "expected output equals the input; yours are unscaled"),
                    {"scale": f"{scale:.4g}"})
        return ("wrong_values", N_("kept channels are scaled by {got}, expected 1/(1-p) = {scale}"),
                {"got": f"{ratios[0].item():.4g}", "scale": f"{scale:.4g}"})
    rate = 1 - float(kept.sum()) / kept.numel()
    if abs(rate - p) > 6 * math.sqrt(p * (1 - p) / kept.numel()) + 1 / kept.numel():
        return ("dropout_rate", N_("{rate} of the channels were dropped, expected about p = {p}"),
                {"rate": f"{rate:.1%}", "p": f"{p:.0%}"})
    return kept


def _random_draws(masks: list[torch.Tensor], p: float) -> Broken | None:
    """Laws of independent draws, for the kept-channel masks (N, C) of two passes."""
    same = p * p + (1 - p) * (1 - p)  # the chance that two independent draws agree
    first, second = masks
    n, c = first.shape
    if same ** (n * c) < 1e-9 and torch.equal(first, second):
        return ("dropout_not_random", N_("two training passes dropped exactly the same channels: draw a new "
                                         "random mask on every call (no fixed seed, no fixed pattern)"), {})
    if same ** (c * (n - 1)) < 1e-9 and bool((first == first[:1]).all()):
        return ("dropout_mask_shared", N_("every sample dropped the same channels: draw one random value per "
                                          "(sample, channel), not one mask for the whole batch"), {})
    if same ** (n * (c - 1)) < 1e-9 and bool((first == first[:, :1]).all()):
        return ("dropout_mask_shared", N_("each sample kept or dropped all its channels together: draw one "
                                          "random value per (sample, channel), not one per sample"), {})
    return None
