"""The ``cuda`` backend: a device session (:mod:`kernels.cuda.session`) over the tiled CUDA
kernels of :mod:`kernels.cuda.kernels`. Imported only when the backend is chosen."""
