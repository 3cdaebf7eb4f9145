"""stress: Monte Carlo stress testing for mortgage-backed bond deals."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stress")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
