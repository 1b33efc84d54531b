"""sknn's benchmark suite: sknn against scikit-learn's MLP and stock skorch.

Run it with ``python -m benchmarks`` from the repository root (``--help`` for the
options). Each configuration is fitted by each library in a fresh process, with the
same architecture, activation, optimizer (SGD with the same learning rate and
momentum, no Nesterov), batch size and number of epochs, stopping rules off. The
report gives fit time, predict time on five times the training rows, the peak memory
that fitting added, and the test score, with the ratios sknn / peer, as JSON and as
a Markdown table. Benchmarks are not tests: nothing here asserts a time.
"""
