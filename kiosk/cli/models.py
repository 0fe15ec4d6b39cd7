"""``kiosk models list|fetch|verify``: which voice models exist, install one, check one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.speech import models


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "models", help="list, download and verify voice models",
        description="List, download and verify the Vosk voice models in voice_models/models.yaml.",
    )
    def show_help(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=show_help)
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION")

    manifest_help = "model manifest (default: voice_models/models.yaml)"
    p_list = sub.add_parser("list", help="show the supported models and where each is installed")
    p_list.add_argument("--manifest", metavar="FILE", help=manifest_help)
    p_list.set_defaults(func=run_list)

    p_fetch = sub.add_parser(
        "fetch", help="download a model, verify every file and install it",
        description="Download a model (or install a zip you copied here), check every file "
                    "against the manifest, and move it into place only when all are right.",
    )
    p_fetch.add_argument("name", metavar="NAME", help="model name, e.g. vosk-model-small-nl-0.22")
    p_fetch.add_argument("--dest", metavar="DIR",
                         help=f"folder to install into (default: {models.cache_dir()})")
    p_fetch.add_argument("--zip", metavar="FILE", dest="zip_file",
                         help="install from this zip instead of downloading")
    p_fetch.add_argument("--manifest", metavar="FILE", help=manifest_help)
    p_fetch.add_argument("--no-progress", action="store_true", help="no progress bar")
    p_fetch.set_defaults(func=run_fetch)

    p_verify = sub.add_parser(
        "verify", help="check an installed model file by file (sha256 and size)",
        description="Check a model against the manifest. Without NAME or PATH, the default "
                    "model is looked up as the kiosk would. Exits 1 when anything is wrong.",
    )
    p_verify.add_argument("target", nargs="?", metavar="NAME|PATH",
                          help="model name from the manifest, or a model folder")
    p_verify.add_argument("--manifest", metavar="FILE", help=manifest_help)
    p_verify.add_argument("--no-progress", action="store_true", help="no progress bar")
    p_verify.set_defaults(func=run_verify)


def run_list(args: argparse.Namespace) -> int:
    manifest = models.load_manifest(args.manifest)
    for entry, where in models.list_installed(manifest):
        default = " (default)" if entry.name == manifest.default else ""
        size = f"~{entry.zip_size_mb:g} MB download" if entry.zip_size_mb else "size unknown"
        print(f"{entry.name}{default}  language {entry.language}, licence {entry.licence}, {size}")
        print(f"  installed: {where}" if where else "  not installed")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    manifest = models.load_manifest(args.manifest)
    entry = manifest.get(args.name)
    progress = not args.no_progress and sys.stderr.isatty()
    if args.zip_file:
        path = models.install_zip(entry, args.zip_file, args.dest, progress=progress)
    else:
        path = models.fetch_model(entry, args.dest, progress=progress)
    print(f"{entry.name} is installed and verified: {path}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    manifest = models.load_manifest(args.manifest)
    progress = not args.no_progress and sys.stderr.isatty()
    target = args.target
    if target and not any(e.name == target for e in manifest.models):
        folder = Path(target).expanduser()
        if not folder.exists():
            known = ", ".join(e.name for e in manifest.models)
            raise KioskError(f"{target} is neither a model folder nor a model in "
                             f"{manifest.path} ({known})")
        entry = next((e for e in manifest.models if e.folder == folder.name), None)
        if entry is None:
            reasons = models.model_folder_problems(folder)
            for reason in reasons:
                print(f"{folder}: {reason}")
            if reasons:
                return 1
            print(f"{folder} has the files a Vosk model needs; it is not in the manifest, so its "
                  f"files could not be checked one by one.")
            return 0
    else:
        entry = manifest.get(target)
        folder = models.find_model(name=entry.name, manifest=manifest)
    verification = models.verify_model(folder, entry, progress=progress)
    if not verification:
        print(f"{folder} does not match {entry.name} in {manifest.path}:")
        for problem in verification.problems:
            print(f"  - {problem.file}: {problem.message}")
        return 1
    print(f"{folder}: all {len(entry.files)} files of {entry.name} are correct")
    return 0
