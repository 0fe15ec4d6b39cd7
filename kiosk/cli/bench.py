"""`kiosk bench`: measure on this machine, in one process.

- ``--questions FILE.tsv [--wer 0.1,0.2,0.3]``: the matcher on labelled typed questions, and
  on the same questions with simulated recogniser errors, side by side;
- ``--audio DIR --labels FILE.tsv``: recogniser + matcher on labelled recordings (accuracy,
  false accepts on ``none``, latency, real-time factor, peak RSS, model load time);
- ``--tts``: speech output (time to first audio, synthesis real-time factor, stop latency);
- ``--room``: the whole kiosk in real time in a private sound-server room (latency from the
  visitor's last voiced sample to the answer, self-triggers, silence timeouts, barge-in);
  see kiosk/bench/live.py;
- ``--soak N``: N turns through the whole kiosk, accelerated (RSS, threads, open files);
- ``--red-flags FILE.tsv [--wer 0.2]``: the red-flag detector, recall and false alarms,
  clean and with simulated recogniser errors;
- ``--synth-korean DIR``: a Korean espeak-ng test set for ``--audio`` with the Korean test model;
- ``--startup``: start-up time and memory (``kiosk --version``, training the matcher from an
  empty cache, text-only commands), each in a fresh process; ``--against DIR`` also measures
  another checkout, taking turns, for a before/after from one run.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.cli._common import add_content_option, content_from_args


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("bench", help="measure accuracy and speed (see --help)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--questions", type=Path, help="labelled questions: question<TAB>expected")
    what.add_argument("--audio", type=Path, help="folder of recordings (with --labels)")
    what.add_argument("--tts", action="store_true", help="measure speech output")
    what.add_argument("--startup", action="store_true",
                      help="measure start-up time and memory (fresh processes)")
    what.add_argument("--soak", type=int, metavar="N",
                      help="N listening turns, accelerated: RSS, threads and open files")
    what.add_argument("--room", action="store_true",
                      help="the kiosk in a private sound-server room, in real time")
    parser.add_argument("--turns", type=int, default=24,
                        help="with --room: listening turns (the visitor speaks on every other)")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="with --room: the question timeout, seconds")
    parser.add_argument("--reads", type=int, default=30,
                        help="with --room: section reads for voice barge-in (0: skip)")
    parser.add_argument("--echo", choices=("delayed", "realistic"), default="realistic",
                        help="with --room: the echo path for barge-in (realistic: delayed, "
                             "band-filtered, -6 dB, with the waiting-room noise)")
    parser.add_argument("--noise", type=Path, help="with --room --echo realistic: noise WAV "
                        "(default: ../shared/audio/noise/background_noise.wav if there)")
    what.add_argument("--red-flags", type=Path, metavar="FILE",
                      help="labelled red flags and ordinary complaints: heard<TAB>expected")
    what.add_argument("--synth-korean", type=Path, metavar="DIR",
                      help="write a Korean espeak-ng test set (WAVs, labels.tsv, phrases.txt) "
                      "for --audio with the Korean test model")
    parser.add_argument("--labels", type=Path, help="file<TAB>expected for --audio")
    parser.add_argument("--all-none", action="store_true",
                        help="with --audio: every recording is out of domain (expected: none)")
    parser.add_argument("--model", type=Path, help="Vosk model folder (default: lookup)")
    parser.add_argument("--mode", choices=("grammar", "free"), default="grammar")
    parser.add_argument("--phrases", type=Path,
                        help="with --audio: grammar phrases, one a line (default: from content)")
    parser.add_argument("--wer", default="",
                        help="with --questions or --red-flags: simulated word error rates, "
                        "e.g. 0.1,0.2,0.3 (--red-flags: default 0.2)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the error simulator")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--repeat", type=int, default=3,
                        help="with --startup: runs per figure; the median is reported")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="with --startup: also measure the kiosk in this checkout")
    add_content_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    table: Callable[[dict[str, Any]], str]
    if args.questions:
        from kiosk.bench import text as bench_text
        from kiosk.cli._common import matcher_for

        wers = [float(w) for w in args.wer.split(",") if w.strip()]
        content = content_from_args(args)
        started = time.perf_counter()
        matcher = matcher_for(content)  # trains the classifier unless it is cached
        ready_s = time.perf_counter() - started
        result = bench_text.run_text_bench(args.questions, matcher, wers, args.seed)
        result["matcher_ready_s"] = round(ready_s, 3)
        table = bench_text.format_table
    elif args.red_flags:
        from kiosk.bench import red_flags as bench_red_flags

        wers = [float(w) for w in (args.wer or "0.2").split(",") if w.strip()]
        result = bench_red_flags.run_red_flag_bench(args.red_flags, content_from_args(args),
                                                    wers, args.seed)
        table = bench_red_flags.format_table
    elif args.audio:
        from kiosk.bench import audio as bench_audio

        if not args.labels:
            print("kiosk bench: --audio needs --labels FILE.tsv")
            return 2
        from kiosk.app.pipeline import read_phrases

        phrases = read_phrases(args.phrases) if args.phrases else None
        result = bench_audio.run_audio_bench(
            args.audio, args.labels, args.model, args.mode, content_from_args(args),
            all_none=args.all_none, phrases=phrases,
        )
        table = bench_audio.format_table
    elif args.soak:
        from kiosk.bench import soak as bench_soak
        from kiosk.cli._common import matcher_for

        content = content_from_args(args)
        result = bench_soak.run_soak(content, matcher_for(content), args.soak, model=args.model)
        table = bench_soak.format_table
    elif args.room:
        from kiosk.bench import live as bench_live
        from kiosk.cli._common import matcher_for

        content = content_from_args(args)
        result = bench_live.run_room_bench(content, matcher_for(content), turns=args.turns,
                                           model=args.model, question_timeout_s=args.timeout)
        if args.reads > 0:
            noise = args.noise or bench_live.default_noise()
            result.update(bench_live.run_barge_in_bench(
                content, matcher_for(content), reads=args.reads, echo=args.echo,
                noise=noise if args.echo == "realistic" else None, model=args.model))
        table = bench_live.format_table
    elif args.synth_korean:
        from kiosk.bench.audio import synth_korean_set

        labels, phrases_txt = synth_korean_set(args.synth_korean)
        print(f"wrote {labels} and {phrases_txt}")
        return 0
    elif args.startup:
        from kiosk.bench import startup as bench_startup
        from kiosk.cli._common import content_dir_from_args

        result = bench_startup.run_startup_bench(content_dir_from_args(args), args.repeat,
                                                 args.against)
        table = bench_startup.format_table
    else:
        from kiosk.bench import tts as bench_tts

        result = bench_tts.run_tts_bench(content_from_args(args))
        table = bench_tts.format_table
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else table(result))
    return 0
