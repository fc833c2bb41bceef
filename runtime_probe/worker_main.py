"""The probe worker: the only ptlint code that imports torch.

It is started by ``runtime_probe.worker`` as ``python -E -c <this file's text> MEMORY_MB``
with the interpreter the user configured, so it must stand alone: standard library
only (plus torch), Python 3.8 syntax, no ptlint imports.

Protocol: JSON lines. Requests come in on what was stdin, answers go out on what was
stdout; both are moved to private descriptors first, so that fd 0 reads /dev/null and
anything torch (or a snippet) prints lands on stderr instead of in the protocol.
The first line out says whether torch imported ("ready"). Each request carries one
generated snippet (see ``runtime_probe.synth``) that defines ``build(rt)`` and
``forward(rt, L)``; the answer lists every step's output shape, per-layer outputs seen
by forward hooks, parameter counts, and the first exception with PyTorch's own text.
"""
import json
import os
import sys
import time
import traceback


def _private_channels():
    req_fd = os.dup(0)
    resp_fd = os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, "r")
    sys.stdout = sys.stderr
    return os.fdopen(req_fd, "rb"), os.fdopen(resp_fd, "wb")


def _limit_memory(mb):
    if mb <= 0:
        return
    try:
        import resource
    except ImportError:  # Windows: no rlimits
        return
    limit = mb * 1024 * 1024
    # RLIMIT_DATA caps heap and anonymous mappings (tensors) but, unlike RLIMIT_AS,
    # leaves room for the address space that CUDA reserves at start-up.
    for name in ("RLIMIT_DATA", "RLIMIT_AS"):
        kind = getattr(resource, name, None)
        if kind is None:
            continue
        try:
            soft, hard = resource.getrlimit(kind)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(kind, (limit, hard))
            return
        except (ValueError, OSError):
            continue


def _short(message, limit=2000):
    """PyTorch's message without the C++ frames some builds append."""
    lines = []
    for line in str(message).splitlines():
        if line.startswith("Exception raised from") or line.startswith("frame #"):
            break
        lines.append(line)
    text = "\n".join(lines).strip() or str(message).strip()
    return text[:limit]


def _is_oom(exc):
    if isinstance(exc, MemoryError):
        return True
    msg = str(exc).lower()
    return "out of memory" in msg or "can't allocate memory" in msg or "cannot allocate memory" in msg


class Runtime:
    """What a snippet may call: step markers, result recording and input creation."""

    DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")

    def __init__(self, torch, device):
        self.torch = torch
        self.device = device
        self.step = None
        self.layer_index = None
        self.outputs = {}

    def layer(self, index):
        self.layer_index = index

    def at(self, step):
        self.step = step

    def out(self, step, value):
        self.outputs[str(step)] = describe(self.torch, value)

    def input(self, shape, kind):
        torch = self.torch
        if kind == "float":
            return torch.empty(tuple(shape), device=self.device)
        if kind == "index":  # token ids / class indices: zeros are always in range
            return torch.zeros(tuple(shape), dtype=torch.long, device=self.device)
        if kind in self.DTYPES:
            return torch.zeros(tuple(shape), dtype=getattr(torch, kind), device=self.device)
        raise ValueError("unknown input kind %r" % (kind,))


def describe(torch, value, depth=0):
    if isinstance(value, torch.Tensor):
        return {"shape": [int(d) for d in value.shape], "dtype": str(value.dtype).replace("torch.", "")}
    if isinstance(value, (tuple, list)) and depth < 4:
        return {"items": [describe(torch, v, depth + 1) for v in value]}
    if isinstance(value, bool) or value is None:
        return {"value": value}
    if isinstance(value, int):
        return {"int": value}
    return {"type": type(value).__name__}


class DeviceError(RuntimeError):
    """A device this torch cannot use; ``kind`` lets the parent say it in the user's language."""

    def __init__(self, kind, message, **info):
        RuntimeError.__init__(self, message)
        self.kind = kind
        self.info = info


def resolve_device(torch, requested):
    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(getattr(torch, "backends", None), "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("no-cuda", "CUDA is not available to this torch (torch.cuda.is_available() is False)")
        if ":" in requested and int(requested.split(":", 1)[1]) >= torch.cuda.device_count():
            count = torch.cuda.device_count()
            raise DeviceError("no-such-cuda", "no CUDA device %s (this machine has %d)" % (requested, count),
                              device=requested, count=count)
    elif requested == "mps":
        mps = getattr(getattr(torch, "backends", None), "mps", None)
        if mps is None or not mps.is_available():
            raise DeviceError("no-mps", "MPS is not available to this torch")
    elif requested not in ("cpu", "meta"):
        raise DeviceError("unknown-device", "unknown device %r" % (requested,), device=repr(requested))
    return requested


def _materialize(torch, mods, device):
    """``Module.to_empty`` without its cost: ``empty_like`` of a meta tensor goes through
    torch's Python reference kernels, whose first use imports ``torch.fx`` symbolic shapes
    (about 0.6 s of a cold probe). ``torch.empty`` of the same shape is immediate."""
    for m in mods.modules():
        for name, p in list(m._parameters.items()):
            if p is not None:
                m._parameters[name] = torch.nn.Parameter(
                    torch.empty(tuple(p.shape), dtype=p.dtype, device=device), requires_grad=p.requires_grad)
        for name, b in list(m._buffers.items()):
            if b is not None:
                m._buffers[name] = torch.empty(tuple(b.shape), dtype=b.dtype, device=device)
        if hasattr(m, "_init_flat_weights"):  # RNN/LSTM/GRU keep a list of their weights
            m._init_flat_weights()


def _build(torch, ns, rt, device):
    """Construct the layers without running their weight init (shapes do not need it):
    on the meta device first, then ``to_empty`` on the real one."""
    build = ns.get("build")
    if build is None:
        return torch.nn.ModuleList()
    meta_ctx = getattr(torch, "device", None)
    try:
        with meta_ctx("meta"):
            layers = build(rt)
        mods = torch.nn.ModuleList(layers)
        if device != "meta":
            _materialize(torch, mods, device)
    except (TypeError, AttributeError, NotImplementedError):
        # old torch without the device context manager / to_empty
        layers = build(rt)
        mods = torch.nn.ModuleList(layers).to(device)
    return mods


def run_request(torch, req):
    t0 = time.perf_counter()
    res = {"id": req.get("id"), "torch": torch.__version__}
    try:
        device = resolve_device(torch, req.get("device", "cpu"))
    except Exception as exc:
        res["fatal"] = _short(exc)
        if isinstance(exc, DeviceError):
            res["fatal_kind"], res["fatal_info"] = exc.kind, exc.info
        return res
    res["device"] = device
    ns = {"__name__": "ptlint_probe_snippet"}
    exec(compile(req["code"], "<ptlint-probe-snippet>", "exec"), ns)
    rt = Runtime(torch, device)
    layer_calls = {}
    res["outputs"] = rt.outputs
    res["layer_calls"] = layer_calls
    try:
        mods = _build(torch, ns, rt, device)
    except Exception as exc:
        res["error"] = {"phase": "build", "layer": rt.layer_index, "type": type(exc).__name__,
                        "message": _short(exc), "oom": _is_oom(exc)}
        res["elapsed_ms"] = (time.perf_counter() - t0) * 1000
        return res
    mods.eval()
    res["params"] = [int(sum(p.numel() for p in m.parameters())) for m in mods]

    def hook(index):
        def record(module, inputs, output):
            layer_calls.setdefault(str(index), []).append(describe(torch, output))
        return record

    handles = [m.register_forward_hook(hook(i)) for i, m in enumerate(mods)]
    t1 = time.perf_counter()
    try:
        with torch.no_grad():
            ns["forward"](rt, mods)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    except Exception as exc:
        res["error"] = {"phase": "forward", "step": rt.step, "type": type(exc).__name__,
                        "message": _short(exc), "oom": _is_oom(exc)}
    finally:
        for h in handles:
            h.remove()
    res["forward_ms"] = (time.perf_counter() - t1) * 1000
    res["elapsed_ms"] = (time.perf_counter() - t0) * 1000
    del mods, ns, rt
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return res


def main():
    requests, answers = _private_channels()

    def send(obj):
        answers.write((json.dumps(obj) + "\n").encode("utf-8"))
        answers.flush()

    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    _limit_memory(mb)
    info = {"python": sys.executable, "python_version": sys.version.split()[0]}
    t0 = time.perf_counter()
    try:
        import torch
    except ModuleNotFoundError as exc:
        info.update(ready=False, error="no-torch", detail=_short(exc))
        send(info)
        return
    except Exception as exc:
        info.update(ready=False, error="torch-broken", detail="%s: %s" % (type(exc).__name__, _short(exc)))
        send(info)
        return
    try:
        torch.set_flush_denormal(True)  # layers run on uninitialised memory: keep denormals off the slow path
    except Exception:
        pass
    info.update(ready=True, torch=torch.__version__, import_ms=(time.perf_counter() - t0) * 1000,
                torch_file=getattr(torch, "__file__", None) or "", pid=os.getpid())
    send(info)
    for line in requests:
        try:
            req = json.loads(line.decode("utf-8"))
        except ValueError:
            continue
        if req.get("op") == "exit":
            break
        try:
            res = run_request(torch, req)
        except Exception as exc:  # a bug in a generated snippet, not a PyTorch verdict
            res = {"id": req.get("id"), "fatal": "%s: %s" % (type(exc).__name__, _short(exc)),
                   "traceback": traceback.format_exc()[-2000:]}
        send(res)


if __name__ == "__main__":
    main()
