from ptlint.rules.findings import Severity
from ptlint.rules.rule import Docs, Message, Rule


class SyntaxErrorRule(Rule):
    """Not a visitor: the engine reports it when libcst cannot parse a unit."""

    code = "PT000"
    name = "syntax-error"
    severity = Severity.ERROR
    message = Message(zh="语法错误：{detail}", en="syntax error: {detail}")
    docs = Docs(
        zh="""## 它检查什么
文件（或 notebook 的某个代码单元格）无法被解析成 Python 代码。

## 为什么有问题
代码连解析都通不过，运行时会直接抛出 `SyntaxError`；其余规则也无法分析这段代码，所以这里只报告这一条。

## 示例
```python
def forward(self, x)
    return self.fc(x)
```

## 如何修复
按提示的行列位置修正语法（常见原因：漏写冒号、括号不配对、缩进混用）。notebook 中的 `%` 魔法命令和 `!` shell 命令会被自动跳过，不算语法错误。
""",
        en="""## What it finds
A file (or one notebook code cell) that does not parse as Python.

## Why it is a problem
Python raises `SyntaxError` before anything runs, and no other rule can analyse the code, so this is the only finding reported for it.

## Example
```python
def forward(self, x)
    return self.fc(x)
```

## How to fix
Correct the syntax at the reported line and column (a missing colon, unbalanced brackets, mixed indentation). IPython `%` magics and `!` shell lines in notebooks are skipped and are not errors.
""",
    )
    # Checked by the engine, not by examples with markers: a broken file has no place for one.
    must_flag = ("import torch\ndef f(:  # <-\n    pass\n", "import torch\nx = torch.zeros(3  # <-\n",
                 "import torch\nclass Net(torch.nn.Module)  # <-\n    pass\n")
    must_not_flag = ("import torch\nx = torch.zeros(3)\n", "import torch\n\ndef f():\n    return 1\n",
                     "import torch\nprint(torch.__version__)\n")
