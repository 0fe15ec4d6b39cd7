"""``kiosk listen FILE.wav``: what the kiosk hears in one recording, and which intent it is."""

from __future__ import annotations

import argparse
import json
from typing import Any

#: Recogniser modes of :data:`kiosk.speech.recognizer.MODES` (a test keeps them equal; that
#: module brings numpy and vosk, imported only when the command runs).
MODES = ("grammar", "free")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "listen",
        help="recognise one WAV recording and match it to the leaflet",
        description="Recognise one WAV file (any rate/channels; converted to 16 kHz mono) and "
        "show what was heard, the intent, its score and timings.",
    )
    parser.add_argument("file", metavar="FILE.wav", help="the recording")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", metavar="PATH",
                        help="Vosk model folder (default: the configured/installed model)")
    parser.add_argument("--mode", choices=MODES, default="grammar",
                        help="grammar: only the content's phrasings (default); free: any word")
    parser.add_argument("--content", metavar="DIR", help="content folder (default: content/)")
    parser.add_argument("--phrases", metavar="FILE",
                        help="grammar phrases, one per line, instead of the content's "
                        "(for a model in another language, e.g. tests)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.app.pipeline import Pipeline, read_phrases
    from kiosk.speech.audio_in import read_wav

    samples = read_wav(args.file)  # a bad file fails before the slow model load
    phrases = read_phrases(args.phrases) if args.phrases else None
    pipeline = Pipeline.create(args.model, args.mode, args.content, phrases)
    result = pipeline.listen_file(args.file, samples)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    t = result["timings"]
    print(f"heard:  {result['heard'] or '(nothing)'}  (confidence {result['confidence']:.2f})")
    print(f"intent: {_label(result['intent'])}  (score {result['score']:.2f})")
    for cand in result.get("candidates", []):
        print(f"   or:  {_label(cand)}  (score {cand.get('score', 0):.2f})")
    print(f"time:   load {t['load_s']:.2f} s, decode {t['decode_s']:.3f} s for "
          f"{t['audio_s']:.2f} s audio (RTF {t['rtf']:.3f}), match {t['match_s'] * 1000:.1f} ms")
    return 0


def _label(intent: dict[str, Any]) -> str:
    from kiosk.bench.labels import intent_label

    return intent_label(intent)
