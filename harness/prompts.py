"""Builds the `Request`s of one model: one summary per article, one answer per question, each
question with its article's few-shot examples (harness/fewshot.py) when the qa task asks for them."""

from __future__ import annotations

from harness import fewshot
from harness.config import TaskConfig
from harness.records import Article, Request


def build_requests(articles: list[Article], tasks: dict[str, TaskConfig]) -> list[Request]:
    """Requests for every task in `tasks` (a backend passes only the tasks it can do)."""
    requests = []
    qa = tasks.get("qa")
    # chosen per article: every question of an article shows the same examples (the shared prefix)
    examples = fewshot.examples_by_article(articles, qa) if qa is not None else {}
    as_turns = fewshot.as_turns_setting(qa) if examples else None
    for article in articles:
        summary = tasks.get("summary")
        if summary is not None and article.references:
            requests.append(
                Request(
                    article_id=article.id,
                    task="summary",
                    item_id=article.id,
                    prompt=summary.prompt.format(article=article.text),
                    **_generation_params(summary),
                    article=article.text,
                )
            )
        if qa is not None:
            for question in article.questions:
                requests.append(
                    Request(
                        article_id=article.id,
                        task="qa",
                        item_id=question.id,
                        prompt=qa.prompt.format(article=article.text, question=question.question),
                        **_generation_params(qa),
                        article=article.text,
                        examples=examples.get(article.id, ()),
                        examples_as_turns=as_turns,
                    )
                )
    return requests


def _generation_params(task: TaskConfig) -> dict:
    return dict(
        max_new_tokens=task.max_new_tokens,
        stop=task.stop,
        do_sample=task.do_sample,
        temperature=task.temperature,
        top_p=task.top_p,
    )


def allows_prefix_reuse(qa_template: str) -> bool:
    """Questions can share the prefilled article only when the article comes first."""
    article, question = qa_template.find("{article}"), qa_template.find("{question}")
    return 0 <= article < question
