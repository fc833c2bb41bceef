"""The single-layer network of the notes' autograd section, with the traps around it:
reading the gradient of a non-leaf, updating a leaf in place, converting a tensor that
requires grad to NumPy, and printing a tensor that was never initialised."""
import torch

x = torch.tensor([[1.0]])
y_true = torch.tensor([[2.0]])
w = torch.randn(1, 1, requires_grad=True)
b = torch.randn(1, requires_grad=True)

z = x * w + b
loss = torch.nn.MSELoss()(z, y_true)
loss.backward()

print(w.grad, b.grad)
print(z.grad)  # a non-leaf: always None

w -= 0.1 * w.grad  # in-place update of a leaf outside torch.no_grad()

history = torch.empty(5)
print(history)  # never written

print(z.numpy())  # z requires grad
