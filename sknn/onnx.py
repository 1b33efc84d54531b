"""Export sknn estimators to ONNX with skl2onnx, alone or inside a ``Pipeline``.

Importing this module registers shape calculators and converters for
:class:`~sknn.SigmoidRegressor`, :class:`~sknn.ReLUMLPRegressor` and
:class:`~sknn.ReLUMLPClassifier` with
`skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so that ``skl2onnx.to_onnx`` converts a
whole pipeline (scalers, encoders, a ``ColumnTransformer``, and the sknn
estimator last)::

    import sknn.onnx  # registers the converters
    from skl2onnx import to_onnx
    import onnxruntime as ort

    onx = to_onnx(pipeline, X[:1].astype("float32"))
    session = ort.InferenceSession(onx.SerializeToString())
    y_pred = session.run(None, {"X": X.astype("float32")})[0]

The exported graph is the network's forward pass in float32 (matrix products,
biases and the activations ``Sigmoid``, ``HardSigmoid`` or ``Relu``), then:

* for the regressor, the outputs times the target's scale plus its mean, as
  ``predict`` computes them, of shape ``(n_samples, n_outputs)``;
* for the classifier, the softmax of the outputs (multilabel: a sigmoid per
  label) as the probabilities and the most probable of ``classes_`` as the label
  (multilabel: the indicator matrix of the probabilities above 0.5). Classifiers
  take skl2onnx's ``zipmap`` option (``to_onnx(model, X, options={"zipmap":
  False})`` gives the probabilities as one matrix) and ``nocl`` (``True``: the
  labels are the indices of ``classes_``).

Install with ``pip install "sknn[onnx]"`` (skl2onnx and onnxruntime); the graph
then runs where neither torch nor sknn is installed.
"""

from __future__ import annotations

import numbers

import numpy as np
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import check_input_and_output_numbers
from skl2onnx.proto import onnx_proto
from torch import nn

from ._backprop import linear_chain
from ._classifier import ReLUMLPClassifier
from ._regressor import ReLUMLPRegressor, SigmoidRegressor

__all__: list[str] = []

_FLOAT = onnx_proto.TensorProto.FLOAT


def _forward(scope, operator, container) -> str:
    """Add the network's forward pass on the operator's input; return the name of
    the outputs (float32, ``[n_samples, n_outputs]``)."""
    model = operator.raw_operator
    chain = linear_chain(model.module_)
    if chain is None:
        raise NotImplementedError(
            f"{type(model).__name__}'s module is not one of sknn's chains of linear "
            "layers, so it cannot be exported to ONNX."
        )
    current = scope.get_unique_variable_name("cast_input")
    container.add_node(
        "Cast",
        operator.inputs[0].full_name,
        current,
        to=_FLOAT,
        name=scope.get_unique_operator_name("Cast"),
    )
    for layer in chain:
        weight = layer.weight.detach().cpu().numpy().astype(np.float32).T
        bias = layer.bias.detach().cpu().numpy().astype(np.float32)
        weight_name = scope.get_unique_variable_name("weight")
        bias_name = scope.get_unique_variable_name("bias")
        container.add_initializer(weight_name, _FLOAT, weight.shape, weight.ravel())
        container.add_initializer(bias_name, _FLOAT, [1, len(bias)], bias)
        product = scope.get_unique_variable_name("product")
        container.add_node(
            "MatMul",
            [current, weight_name],
            product,
            name=scope.get_unique_operator_name("MatMul"),
        )
        current = scope.get_unique_variable_name("linear")
        container.add_node(
            "Add", [product, bias_name], current, name=scope.get_unique_operator_name("Add")
        )
        if layer.activation is not None:
            current = _activate(scope, container, layer.activation, current)
    return current


def _activate(scope, container, activation: nn.Module, name: str) -> str:
    output = scope.get_unique_variable_name("activation")
    if isinstance(activation, nn.Sigmoid):
        op, attributes = "Sigmoid", {}
    elif isinstance(activation, nn.ReLU):
        op, attributes = "Relu", {}
    elif isinstance(activation, nn.Hardsigmoid):
        # torch's hardsigmoid: relu6(x + 3) / 6 = clip(x / 6 + 1 / 2, 0, 1)
        op, attributes = "HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}
    else:
        raise NotImplementedError(f"no ONNX operator for {type(activation).__name__}")
    container.add_node(
        op, name, output, name=scope.get_unique_operator_name(op), **attributes
    )
    return output


def _regressor_shapes(operator) -> None:
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    rows = operator.inputs[0].get_first_dimension()
    outputs = len(np.atleast_1d(operator.raw_operator._y_scale))
    operator.outputs[0].type = FloatTensorType([rows, outputs])


def _convert_regressor(scope, operator, container) -> None:
    model = operator.raw_operator
    outputs = _forward(scope, operator, container)
    scale = np.atleast_1d(model._y_scale).astype(np.float32)
    mean = np.atleast_1d(model._y_mean).astype(np.float32)
    scale_name = scope.get_unique_variable_name("target_scale")
    mean_name = scope.get_unique_variable_name("target_mean")
    container.add_initializer(scale_name, _FLOAT, [1, len(scale)], scale)
    container.add_initializer(mean_name, _FLOAT, [1, len(mean)], mean)
    scaled = scope.get_unique_variable_name("scaled")
    container.add_node(
        "Mul", [outputs, scale_name], scaled, name=scope.get_unique_operator_name("Mul")
    )
    container.add_node(
        "Add",
        [scaled, mean_name],
        operator.outputs[0].full_name,
        name=scope.get_unique_operator_name("Add"),
    )


def _labels(model: ReLUMLPClassifier, nocl: bool = False) -> tuple[np.ndarray, int]:
    """The classes as ONNX can hold them (with skl2onnx's ``nocl`` option, their
    indices), and their ONNX type."""
    classes = model.classes_
    if nocl:
        return np.arange(len(classes), dtype=np.int64), onnx_proto.TensorProto.INT64
    whole = classes.dtype.kind in "biu" or (
        classes.dtype.kind == "f" and np.array_equal(classes, np.round(classes))
    )
    if whole or all(isinstance(c, numbers.Integral) for c in classes):
        return classes.astype(np.int64), onnx_proto.TensorProto.INT64
    if classes.dtype.kind in "OUS" and all(isinstance(c, str) for c in classes):
        return np.array([c.encode("utf-8") for c in classes]), onnx_proto.TensorProto.STRING
    raise NotImplementedError(
        "ONNX export needs integer or string class labels; these are "
        f"{classes.dtype} values such as {classes[0]!r}."
    )


def _classifier_shapes(operator) -> None:
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    model = operator.raw_operator
    rows = operator.inputs[0].get_first_dimension()
    n_classes = len(model.classes_)
    nocl = operator.scope_inst.get_options(model, dict(nocl=False))["nocl"]
    _, label_type = _labels(model, nocl)
    if model._multilabel:
        operator.outputs[0].type = Int64TensorType([rows, n_classes])
    elif label_type == onnx_proto.TensorProto.STRING:
        operator.outputs[0].type = StringTensorType([rows])
    else:
        operator.outputs[0].type = Int64TensorType([rows])
    operator.outputs[1].type = FloatTensorType([rows, n_classes])


def _convert_classifier(scope, operator, container) -> None:
    model = operator.raw_operator
    logits = _forward(scope, operator, container)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if model._multilabel:
        container.add_node(
            "Sigmoid", logits, proba, name=scope.get_unique_operator_name("Sigmoid")
        )
        # as predict: a label whose output is above 0 (its probability above 0.5)
        zero = scope.get_unique_variable_name("zero")
        container.add_initializer(zero, _FLOAT, [], [0.0])
        above = scope.get_unique_variable_name("above")
        container.add_node(
            "Greater", [logits, zero], above, name=scope.get_unique_operator_name("Greater")
        )
        container.add_node(
            "Cast",
            above,
            label,
            to=onnx_proto.TensorProto.INT64,
            name=scope.get_unique_operator_name("Cast"),
        )
        return
    container.add_node(
        "Softmax", logits, proba, axis=1, name=scope.get_unique_operator_name("Softmax")
    )
    classes, label_type = _labels(
        model, container.get_options(model, dict(nocl=False))["nocl"]
    )
    classes_name = scope.get_unique_variable_name("classes")
    container.add_initializer(classes_name, label_type, classes.shape, classes)
    best = scope.get_unique_variable_name("argmax")
    # the largest output is the most probable class, as in predict
    container.add_node(
        "ArgMax",
        logits,
        best,
        axis=1,
        keepdims=0,
        name=scope.get_unique_operator_name("ArgMax"),
    )
    container.add_node(
        "Gather",
        [classes_name, best],
        label,
        axis=0,
        name=scope.get_unique_operator_name("Gather"),
    )


for _estimator in (SigmoidRegressor, ReLUMLPRegressor):
    update_registered_converter(
        _estimator, f"Sknn{_estimator.__name__}", _regressor_shapes, _convert_regressor
    )
update_registered_converter(
    ReLUMLPClassifier,
    "SknnReLUMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
)
