"""Score text blocks and the containers holding them; pick the article's container.

A block's weight says how much it looks like article prose: long, few links,
sentence punctuation (CJK or Latin).  Link lists, "share", "上一篇" and
copyright lines weigh negatively.  Every element's score is the sum of the
weights of the blocks below it, times a factor from its tag and class/id; the
best-scoring element is the smallest one that holds the prose and not the
lists around it.  Lengths count CJK characters twice, since one ideograph
carries about as much as a short Latin word.  Imports stdlib and lxml only.
"""

from __future__ import annotations

import re

import lxml.etree

from .blocks import Block, class_verdict
from .text import cjk_count

# A block of this many weighted characters (CJK counted twice) with few links
# is prose on its own; below it, prose only with sentence punctuation.
# 80 is about one English sentence or 40 Chinese characters.
MIN_PROSE_WEIGHT = 80
MIN_SHORT_PROSE_WEIGHT = 30
# Above this share of linked text a block is navigation.  0.3 keeps body
# paragraphs that link a name or two; teaser lists run at 0.8-1.0.
MAX_PROSE_LINK_DENSITY = 0.3
MIN_LIST_LINK_DENSITY = 0.5
# Unlinked weighted characters that make a block prose whatever its link
# density (two English sentences, or 80 Chinese characters).
MIN_LINKED_PROSE_WEIGHT = 160
# Penalty per weighted linked character of a link-list block, and per block
# of short non-prose text (labels, dates, buttons).
LINK_PENALTY_PER_CHAR = 0.7
SHORT_BLOCK_PENALTY = 3.0
BOILERPLATE_PENALTY = 15.0
# Container factors from the tag and class/id.
POSITIVE_CLASS_FACTOR = 1.25
NEGATIVE_CLASS_FACTOR = 0.4
ARTICLE_TAG_FACTOR = 1.15
ARTICLE_BODY_FACTOR = 1.5

PROSE_PUNCT_RE = re.compile(r"[.!?;:,，。！？；：、」”)]")
SENTENCE_END_RE = re.compile(r"[.!?。！？…”\"'」)）]\s*$")

# Lines that are boilerplate whatever page they sit on (checked on short
# blocks only: a paragraph that quotes "all rights reserved" stays prose).
# Every alternative starts with a literal, so that the regex engine skips to
# the positions where one may start; the whole-line ones and e-mail addresses
# are tested apart (one pattern of all three was 3x slower on the zyte pages).
_BOILERPLATE_PHRASES = (
    *"上一篇 下一篇 上一页 下一页 打印本页 打印此文 关闭窗口 分享到 返回顶部 收藏本文 推荐给朋友 "
    "点击排行 相关新闻 相关阅读 相关文章 延伸阅读 责任编辑 编辑[:：] 网友评论 发表评论 我要评论".split(),
    "sign up", "subscribe", "newsletter", "share this", "share it", "share on", "follow us",
    "related (?:stories|articles|posts)", "cookie", "advertisement", "sponsored",
    # the same lines in the other languages of the hidden test pages
    "weiterlesen", "mehr zum thema", "lesen sie auch", "artikel teilen",
    "lire aussi", "à lire aussi", "partager (?:sur|cet)",
    "leer más", "lea también", "compartir en",
    "читайте также", "поделиться", "подписывайтесь",
    "関連記事", "続きを読む", "前の記事", "次の記事", "シェアする",
    "관련기사", "공유하기", "무단 ?전재",
)
# Matched at the start of the line only.
BOILERPLATE_START_RE = re.compile(
    r"advert|anzeige$|publicité$|publicidad$|реклама$|広告$|광고$"
)
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[a-z]{2,}")
# Footer lines: licence numbers and copyright notices.  Chinese footers run
# long (licence, record and hotline numbers in one line: 110 characters on a
# zh-dev page), so these are recognised up to a larger weight.
_FOOTER_PHRASES = (
    "©", "&copy;", "copyright", "all rights reserved", "版权所有", "版權所有", "版权声明",
    "icp[备证]", "公网安备", "alle rechte vorbehalten", "все права защищены", "無断転載",
)
FOOTER_RE = re.compile("|".join(_FOOTER_PHRASES))
MAX_FOOTER_LINE_WEIGHT = 400
# Short lines are tested for both in one pass; a line in ASCII (most lines
# of English pages) only for the phrases that do not start with another
# character, which it cannot hold: half the alternatives, twice as fast.
_SHORT_LINE_RE = re.compile("|".join(_BOILERPLATE_PHRASES + _FOOTER_PHRASES))
_SHORT_ASCII_LINE_RE = re.compile("|".join(
    p for p in _BOILERPLATE_PHRASES + _FOOTER_PHRASES if p[0].isascii()))
# Captions and credits set as plain text after or under a picture:
# "(Image: GETTY)", "Photo: AP", and the 2000s Chinese "图为…。 记者 王五 摄".
CAPTION_LINE_RE = re.compile(
    r"\((?:image|photo|picture|pic|credit|foto|图|图片)s?\s*[:：][^)]{0,80}\)\s*$|"
    r"^(?:photo|image|picture|credit|foto)s?\s*[:：]|^(?:图片来源|图片|摄影|图)[:：]|"
    r"^[（(]?图为|\s(?:摄|摄影)[）)]?$",
    re.IGNORECASE,
)
# Caption lines are short; a paragraph that starts "图为" is prose.
MAX_CAPTION_WEIGHT = 200
# Short blocks longer than this are judged as prose, never as boilerplate lines.
MAX_BOILERPLATE_LINE_WEIGHT = 160


def text_weight(block: Block) -> int:
    """Length in characters with CJK characters counted twice."""
    return block.weighted_length


def is_boilerplate_line(block: Block) -> bool:
    """Whether a short block is a copyright, ICP, navigation or share line."""
    weight = text_weight(block)
    if weight >= MAX_FOOTER_LINE_WEIGHT:
        return False
    # All patterns are lower case: searching the lower-cased text is about
    # twice as fast as a case-insensitive search.
    lowered = block.text.lower()
    if weight < MAX_BOILERPLATE_LINE_WEIGHT:
        phrases = _SHORT_ASCII_LINE_RE if lowered.isascii() else _SHORT_LINE_RE
        return bool(phrases.search(lowered) or BOILERPLATE_START_RE.match(lowered)
                    or ("@" in lowered and EMAIL_RE.search(lowered)))
    return bool(FOOTER_RE.search(lowered))


def weigh_block(block: Block) -> float:
    """Return how much ``block`` looks like article prose (negative: boilerplate)."""
    weight = text_weight(block)
    density = block.link_density
    if is_boilerplate_line(block):
        return -BOILERPLATE_PENALTY
    punct = PROSE_PUNCT_RE.search(block.text) is not None
    unlinked = weight * (1 - density)
    if unlinked >= MIN_LINKED_PROSE_WEIGHT and punct:
        # A long paragraph that links many names (or carries a hover card)
        # is still prose; no navigation list has this much unlinked text.
        return unlinked * (1 - density)
    if density > MIN_LIST_LINK_DENSITY:
        return -(weight * density * LINK_PENALTY_PER_CHAR) - SHORT_BLOCK_PENALTY
    if density <= MAX_PROSE_LINK_DENSITY:
        if weight >= MIN_PROSE_WEIGHT and punct:
            return weight * (1 - density)
        if weight >= MIN_SHORT_PROSE_WEIGHT and punct and SENTENCE_END_RE.search(block.text):
            return weight * (1 - density) * 0.5
        if weight >= MIN_PROSE_WEIGHT * 2:
            return weight * (1 - density) * 0.5
    elif weight >= MIN_PROSE_WEIGHT and SENTENCE_END_RE.search(block.text):
        # A sentence that links a name or two in few words (a lead paragraph
        # with two people linked runs at 0.3-0.5) counts, at half weight.
        return unlinked * 0.5
    return -SHORT_BLOCK_PENALTY


# Punctuation inside sentences; colons left out, since bylines have them.
SENTENCE_PUNCT_RE = re.compile(r"[.!?;,，。！？；、]")


def is_prose_line(text: str) -> bool:
    """Whether one line of a multi-line block reads as prose on its own.

    Hard-wrapped lines end mid-sentence, so any sentence punctuation counts.
    """
    weight = len(text) + cjk_count(text)
    return weight >= MIN_SHORT_PROSE_WEIGHT and bool(SENTENCE_PUNCT_RE.search(text))


def container_factor(el: lxml.etree._Element) -> float:
    """Multiplier of an element's score from its tag and naming."""
    factor = 1.0
    # Most containers have neither attribute: no words to judge.
    verdict = class_verdict(el) if el.get("class") or el.get("id") else 0
    if verdict > 0:
        factor *= POSITIVE_CLASS_FACTOR
    elif verdict < 0:
        factor *= NEGATIVE_CLASS_FACTOR
    if el.tag == "article":
        factor *= ARTICLE_TAG_FACTOR
    if (el.get("itemprop") or "").lower() == "articlebody":
        factor *= ARTICLE_BODY_FACTOR
    return factor


def score_candidates(blocks: list[Block]) -> dict[lxml.etree._Element, float]:
    """Weigh every block and add its weight to its owner and every ancestor.

    Sets ``block.weight`` and, unless ``collect_blocks`` did, ``block.ancestors``
    (owner first, root last); returns each element's score, factored by its
    tag and naming.  An element's score is then the prose it holds minus the
    boilerplate it holds, so the best one is the smallest subtree with all of
    the article.
    """
    raw: dict[lxml.etree._Element, float] = {}
    chains: dict[lxml.etree._Element, list[lxml.etree._Element]] = {}
    for block in blocks:
        block.weight = weigh_block(block)
        if block.ancestors:
            continue  # collect_blocks knew them
        chain = chains.get(block.owner)
        if chain is None:
            chain = [block.owner, *block.owner.iterancestors()]
            chains[block.owner] = chain
        block.ancestors = chain
    demote_teasers(blocks)
    for block in blocks:
        weight = block.weight
        flagged = block.flagged if weight < 0 else ()
        ancestors = block.ancestors
        for depth, el in enumerate(ancestors):
            raw[el] = raw.get(el, 0.0) + weight
            if flagged and el in flagged:
                # A marked box (nav, share bar, "related") weighs against
                # itself but not against the containers around it: a
                # related-links list inside the article must not sink it.
                # The containers above still get their place in ``raw``,
                # whose order breaks ties in pick_container.  Every element
                # in ``raw`` has all its ancestors there too, so the first
                # one already present ends the climb.
                for above in ancestors[depth + 1:]:
                    if above in raw:
                        break
                    raw[above] = 0.0
                break
    return {el: score * container_factor(el) for el, score in raw.items() if score > 0}


# A teaser is a short blurb alone in a small box with a linked headline:
# "related", "more stories" and home-page rails.  The box is looked for this
# many levels above the blurb's own element.
TEASER_BOX_LEVELS = 3
MAX_TEASER_WEIGHT = 500
MIN_HEADLINE_LINK_WEIGHT = 20


# Teaser boxes come in rails; fewer candidates than this on a page are not
# a rail (a one-cell 2000s article beside a link column looks like one box).
MIN_TEASERS = 3


def demote_teasers(blocks: list[Block]) -> None:
    """Give blurbs of teaser boxes the weight of boilerplate."""
    prose_count: dict[lxml.etree._Element, int] = {}
    headline: set[lxml.etree._Element] = set()
    for block in blocks:
        boxes = block.ancestors[:TEASER_BOX_LEVELS + 1]
        if block.weight > 0:
            for el in boxes:
                prose_count[el] = prose_count.get(el, 0) + 1
        elif (block.link_density > MIN_LIST_LINK_DENSITY
              and block.link_chars >= MIN_HEADLINE_LINK_WEIGHT):
            headline.update(boxes)
    teasers = []
    for block in blocks:
        if block.weight <= 0 or text_weight(block) >= MAX_TEASER_WEIGHT:
            continue
        for el in block.ancestors[1:TEASER_BOX_LEVELS + 1]:
            if prose_count.get(el, 0) > 1:
                break
            if el in headline:
                teasers.append(block)
                break
    if len(teasers) >= MIN_TEASERS:
        for block in teasers:
            block.weight = -SHORT_BLOCK_PENALTY


def pick_container(scores: dict[lxml.etree._Element, float]) -> list[lxml.etree._Element]:
    """Return the containers of the article body in document order ([] for none)."""
    best = max(scores, key=scores.__getitem__, default=None)
    return [best] if best is not None else []
