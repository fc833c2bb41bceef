"""What ``nn.Module``'s own methods do to the module, for both interpreters (``rules/flow``
and ``rules/shapes``): which only read it, so that the model computes the same afterwards
(``sum(p.numel() for p in model.parameters())`` between building a model and calling it
changes nothing). A class of the file that defines a method of the same name is its own."""
from __future__ import annotations

# Queries of the module's parameters, submodules and state
MODULE_READS = frozenset({"parameters", "named_parameters", "buffers", "named_buffers", "children",
                          "named_children", "modules", "named_modules", "state_dict", "zero_grad",
                          "extra_repr", "get_submodule", "get_parameter"})
