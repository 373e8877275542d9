"""The generated protocol modules (``cellfit.v1``), with a helpful error.

They are generated from proto/cellfit/v1/*.proto by the build (CMake target
``cellfit_proto_python``) into ``<build>/python/cellfit/v1``, never committed.
"""

try:
    from cellfit.v1 import common_pb2  # noqa: F401
    from cellfit.v1 import fitting_pb2  # noqa: F401
    from cellfit.v1 import fitting_pb2_grpc  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the build
    raise ImportError(
        "cellfit's generated protocol modules (cellfit.v1) cannot be "
        "imported: build them with `cmake --build BUILD --target "
        "cellfit_python` and put BUILD/python on PYTHONPATH (or set "
        "CELLFIT_PYTHON_GEN_DIR=BUILD/python); see client/python/README.md. "
        f"({error})") from error

__all__ = ['common_pb2', 'fitting_pb2', 'fitting_pb2_grpc']
