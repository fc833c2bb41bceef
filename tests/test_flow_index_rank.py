"""Indexing with more indices than the tensor has dims (``x[..., :3]`` on a 0-d tensor) is
a torch error at run time; the flow analysis gives it an unknown shape instead of failing the
statement (it used to raise IndexError and drop the statement's facts, logging a warning)."""
import logging

from ptlint.rules.api import analyse

SOURCE = """\
import torch

def rgb2gray(rgb):
    return rgb[..., :3].sum(-1)

scalar = torch.tensor(3.0)
rgb2gray(scalar)
image = torch.rand(4, 4, 3)
gray = image[..., :3]
flat = image.transpose(0, 1).view(-1)
"""


def test_more_indices_than_dims_leaves_the_statement_and_the_rest_of_the_file_checked(caplog):
    with caplog.at_level(logging.WARNING):
        result = analyse(SOURCE, path="gray.py")
    assert not [r for r in caplog.records if "skipped a statement" in r.getMessage()]
    # the file's other facts survive: the view after transpose is still reported
    assert [f.code for f in result.findings] == ["PT001"]
