"""Torch import guard and device resolution shared by ``socialpref.train`` and ``socialpref.llm``.

``require_torch()`` imports torch or raises :class:`~socialpref.errors.MissingExtraError` (one
line naming the ``train`` extra); ``resolve_device("auto" | "cpu" | "cuda" | "cuda:N")`` picks a
device and raises :class:`~socialpref.errors.ParameterError` when CUDA is asked for and absent.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from socialpref.errors import MissingExtraError, ParameterError

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def require_torch() -> ModuleType:
    """Import and return the ``torch`` module.

    Raises
    ------
    MissingExtraError
        When torch cannot be imported; the one-line message names the ``train`` extra (pin the
        CPU build, ``pip install torch==2.13.0``, to avoid a multi-GB CUDA download).
    """
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed in the dev venv
        raise MissingExtraError("torch", "train", "Policy training (socialpref.train)") from exc
    return torch


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Resolve ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Parameters
    ----------
    device : str, torch.device or None
        ``None`` means ``"auto"``.

    Returns
    -------
    torch.device

    Raises
    ------
    ParameterError
        When the string is not a valid choice, or CUDA is asked for and not available.

    Examples
    --------
    >>> str(resolve_device("cpu"))
    'cpu'
    """
    torch = require_torch()
    if device is None:
        device = "auto"
    if isinstance(device, torch.device):
        spec = str(device)
    elif isinstance(device, str):
        spec = device.strip().lower()
    else:
        raise ParameterError(
            f"The 'device' parameter must be one of {list(DEVICE_CHOICES)} or 'cuda:N'. Got {device!r} instead."
        )
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "cuda" or spec.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ParameterError(
                f"The 'device' parameter asks for CUDA ({spec!r}) but no CUDA device is available "
                "(torch.cuda.is_available() is False); use --device cpu or auto."
            )
        try:
            dev = torch.device(spec)
        except RuntimeError as exc:
            raise ParameterError(
                f"The 'device' parameter is not a valid CUDA device. Got {device!r} instead."
            ) from exc
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ParameterError(
                f"The 'device' parameter asks for {spec!r} but only {torch.cuda.device_count()} CUDA device(s) exist."
            )
        return dev
    raise ParameterError(
        f"The 'device' parameter must be one of {list(DEVICE_CHOICES)} or 'cuda:N'. Got {device!r} instead."
    )
