"""The cargo flags shared by build, test, clippy, doc: which packages, features, target and profile."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class CargoOpts:
    workspace: bool = False
    packages: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    all_features: bool = False
    no_default_features: bool = False
    features: tuple[str, ...] = ()
    target: str | None = None
    all_targets: bool = False
    release: bool = False
    profile: str | None = None
    locked: bool = True
    flags: tuple[str, ...] = ()


CARGO_OPTION_NAMES = tuple(field.name for field in fields(CargoOpts))


def _check(opts: CargoOpts) -> None:
    if opts.all_features and (opts.features or opts.no_default_features):
        raise ValueError(
            "hm.rust: all_features=True conflicts with features= and no_default_features=\n"
            f"  observed: features={list(opts.features)!r}, no_default_features={opts.no_default_features!r}\n"
            "  → pass all_features=True alone, or list the features without it"
        )
    if opts.release and opts.profile is not None:
        raise ValueError(
            f"hm.rust: release=True conflicts with profile={opts.profile!r}\n"
            '  → keep one (profile="release" is release=True)'
        )
    if opts.exclude and opts.packages:
        raise ValueError(
            "hm.rust: exclude= cannot combine with packages=\n"
            "  → packages= already selects what to build; drop one"
        )
    if opts.exclude and not opts.workspace:
        raise ValueError("hm.rust: exclude= requires workspace=True\n  → cargo's --exclude applies to --workspace")


def cargo_flags(opts: CargoOpts) -> str:
    """The flags for ``opts``, with a leading space; "" for none."""
    _check(opts)
    words: list[str] = []
    if opts.packages:
        words += [f"-p {shlex.quote(p)}" for p in opts.packages]
    elif opts.workspace:
        words.append("--workspace")
        words += [f"--exclude {shlex.quote(e)}" for e in opts.exclude]
    if opts.all_targets:
        words.append("--all-targets")
    if opts.all_features:
        words.append("--all-features")
    else:
        if opts.no_default_features:
            words.append("--no-default-features")
        if opts.features:
            words.append("--features " + shlex.quote(",".join(opts.features)))
    if opts.target is not None:
        words.append(f"--target {shlex.quote(opts.target)}")
    if opts.profile is not None:
        words.append(f"--profile {shlex.quote(opts.profile)}")
    elif opts.release:
        words.append("--release")
    if opts.locked:
        words.append("--locked")
    words += list(opts.flags)
    return " " + " ".join(words) if words else ""
