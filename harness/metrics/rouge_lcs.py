"""Longest common subsequences for ROUGE-L and ROUGE-Lsum, bit-parallel but rouge-score-exact.

rouge-score fills an (m+1) x (n+1) table in pure Python for every pair of sentences, which is
most of its run time on long summaries. Here one row of that table is an integer used as a bit
vector (Hyyrö's bit-parallel LCS: V' = (V + (V & M)) | (V & ~M)), so a row costs a few integer
operations instead of n Python steps. Bit j of row i is 0 exactly where the table grows from
column j to j+1, so any cell is recovered as  t[i][j] = j - popcount(row_i & (2**j - 1)).

Summary-level LCS needs not only the length but *which* reference tokens are in the LCS, and
several LCSs of equal length can exist. `lcs_indices` walks back through the table with
rouge-score's exact rule (diagonal on equal tokens, else left only if t[i][j-1] > t[i-1][j], else
up; the same rule as ROUGE-1.5.5's markLCS), so it returns the very same indices as
`rouge_score.rouge_scorer.lcs_ind`, and every hit count, hence every score, is identical.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def _match_masks(can: Sequence[str]) -> dict[str, int]:
    masks: dict[str, int] = {}
    for j, token in enumerate(can):
        masks[token] = masks.get(token, 0) | (1 << j)
    return masks


def _rows(ref: Sequence[str], can: Sequence[str], masks: dict[str, int]) -> list[int]:
    """Bit-vector rows 0..m of the LCS table of ref (rows) against can (columns)."""
    full = (1 << len(can)) - 1
    v = full
    rows = [v]
    for token in ref:
        match = masks.get(token)
        if match:
            u = v & match
            v = ((v + u) | (v - u)) & full
        rows.append(v)
    return rows


def lcs_length(ref: Sequence[str], can: Sequence[str]) -> int:
    """Length of the longest common subsequence (rouge-score's `_lcs_table(ref, can)[-1][-1]`)."""
    if not ref or not can:
        return 0
    return len(can) - _rows(ref, can, _match_masks(can))[-1].bit_count()


def lcs_indices(ref: Sequence[str], can: Sequence[str], masks: dict[str, int] | None = None) -> list[int]:
    """Indices into `ref` of one LCS: the same one `rouge_score.rouge_scorer.lcs_ind` returns.
    `masks` (from _match_masks(can)) may be passed when `can` is compared with many sentences."""
    if not ref or not can:
        return []
    rows = _rows(ref, can, _match_masks(can) if masks is None else masks)
    if rows[-1].bit_count() == len(can):  # nothing in common
        return []
    i, j = len(ref), len(can)
    found = []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            i -= 1
            j -= 1
            found.append(i)
            continue
        # t[i][j-1] > t[i-1][j] ?
        left = (j - 1) - (rows[i] & ((1 << (j - 1)) - 1)).bit_count()
        up = j - (rows[i - 1] & ((1 << j) - 1)).bit_count()
        if left > up:
            j -= 1
        else:
            i -= 1
    found.reverse()
    return found


def summary_level_hits(ref_sents: Sequence[Sequence[str]], can_sents: Sequence[Sequence[str]]) -> int:
    """ROUGE-Lsum hits: union LCS of each reference sentence against all candidate sentences,
    each token counted at most as often as it occurs on both sides (rouge-score's
    `_summary_level_lcs`, itself ROUGE-1.5.5's clipping)."""
    ref_left = Counter(token for sent in ref_sents for token in sent)
    can_left = Counter(token for sent in can_sents for token in sent)
    if not ref_left or not can_left:
        return 0
    columns = [(can, _match_masks(can)) for can in can_sents]
    hits = 0
    for ref in ref_sents:
        union: set[int] = set()
        for can, masks in columns:
            union.update(lcs_indices(ref, can, masks))
        for index in sorted(union):
            token = ref[index]
            if can_left[token] > 0 and ref_left[token] > 0:
                hits += 1
                can_left[token] -= 1
                ref_left[token] -= 1
    return hits
