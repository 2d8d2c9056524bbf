"""taizhang (台账): township epidemic-control ledgers from village spreadsheets."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("taizhang")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
