"""report.html and compare.html: one self-contained page a person opens from disk.

Self-contained means the page asks the network for nothing: the CSS and the few lines of
JavaScript (sortable tables) are inlined from harness/report/templates/, charts are inline SVG
drawn in Python (svg_chart.py), and fonts are the system's. It opens from a file:// URL, offline.

Everything a model wrote, and everything from the eval set or the config, is untrusted text:
the templates are rendered by jinja2 with autoescape on, and nothing from a run is ever marked
safe. The only `Markup` is our own: the inlined CSS/JS files (env.py) and the SVG charts, whose
text content goes through `markupsafe.escape` (svg_chart.py).

The modules only shape the records into plain dicts and lists; the layout is in
templates/report.html.j2 and templates/compare.html.j2.

- env.py: the jinja2 environment, its filters (cell text from report/format.py), rendering
- run_page.py: the context of report.html
- compare_page.py: the context of compare.html
- highlights and word diffs: report/text_marks.py (re-exported here)
"""

from harness.report.html.compare_page import compare_html
from harness.report.html.run_page import report_html
from harness.report.text_marks import diff_segments, shared_ngram_segments

__all__ = ["report_html", "compare_html", "shared_ngram_segments", "diff_segments"]
