"""The Lambda platform a package is built for: Python version, architecture, wheel tags."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.tags import Tag

# Lambda's Python runtimes and the glibc minor version of the Amazon Linux they run on:
# python3.10 and 3.11 on Amazon Linux 2 (glibc 2.26), python3.12 and later on Amazon
# Linux 2023 (glibc 2.34). A wheel tagged manylinux_2_X loads only where glibc >= 2.X.
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
RUNTIME_GLIBC = {
    "python3.10": 26,
    "python3.11": 26,
    "python3.12": 34,
    "python3.13": 34,
    "python3.14": 34,
}
ARCHES = ("arm64", "x86_64")
_MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
# ELF e_machine values: https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html
ELF_MACHINES = {"arm64": 183, "x86_64": 62}


@dataclass(frozen=True)
class Target:
    """A Lambda runtime such as python3.12 on arm64."""

    python: str = "3.12"
    arch: str = "arm64"

    def __post_init__(self) -> None:
        if self.arch not in ARCHES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {ARCHES}")
        if self.runtime not in RUNTIME_GLIBC:
            known = ", ".join(RUNTIME_GLIBC)
            raise ValueError(f"{self.runtime} is not a Lambda Python runtime we know ({known})")

    @classmethod
    def from_runtime(cls, runtime: str, arch: str) -> Target:
        """Build a target from a Lambda runtime identifier (`python3.12`)."""
        if not runtime.startswith("python"):
            raise ValueError(f"not a Python Lambda runtime: {runtime!r}")
        return cls(python=runtime.removeprefix("python"), arch=arch)

    @property
    def glibc_minor(self) -> int:
        """The runtime's glibc is 2.<this>: the newest manylinux tag it can load."""
        return RUNTIME_GLIBC[self.runtime]

    @property
    def runtime(self) -> str:
        """The Lambda runtime identifier, e.g. `python3.12`."""
        return f"python{self.python}"

    @property
    def machine(self) -> str:
        """The manylinux machine name (`aarch64` or `x86_64`)."""
        return _MACHINE[self.arch]

    @property
    def nodot(self) -> str:
        """The version without the dot, as in wheel tags (`312`)."""
        return self.python.replace(".", "")

    @property
    def elf_machine(self) -> int:
        """The ELF `e_machine` value that compiled extensions must carry."""
        return ELF_MACHINES[self.arch]

    @cached_property
    def platforms(self) -> tuple[str, ...]:
        """Platform tags the runtime accepts, newest first.

        pip needs the older aliases too: listing only manylinux_2_34 fails to
        resolve wheels tagged manylinux2014 (pip does not expand the aliases itself).
        """
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(self.glibc_minor, 16, -1)]
        tags.append(f"manylinux2014_{self.machine}")
        return tuple(tags)

    def pip_args(self) -> list[str]:
        """The pip options that select wheels for this target."""
        args = ["--implementation", "cp", "--python-version", self.python]
        args += ["--only-binary=:all:"]
        for platform in self.platforms:
            args += ["--platform", platform]
        return args

    @cached_property
    def supported_tags(self) -> frozenset[Tag]:
        """Every wheel tag the runtime can load, as pip would compute it there."""
        from packaging.tags import compatible_tags, cpython_tags

        major, minor = self.python.split(".")
        version = (int(major), int(minor))
        interpreter = f"cp{self.nodot}"
        tags = set(cpython_tags(version, abis=[interpreter], platforms=self.platforms))
        tags.update(compatible_tags(version, interpreter, platforms=self.platforms))
        return frozenset(tags)

    def accepts_wheel_tag(self, tag: str) -> bool:
        """Whether a (possibly compressed) wheel tag such as `cp312-abi3-manylinux_2_34_aarch64`
        names at least one tag the runtime can load."""
        from packaging.tags import parse_tag

        return not parse_tag(tag).isdisjoint(self.supported_tags)
