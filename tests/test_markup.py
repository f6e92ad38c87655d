"""Markdown headings and emphasis in stored text are styled without moving any offset."""
from hypothesis import given
from hypothesis import strategies as st

from claimtrack.documents import span_in_paragraph
from claimtrack.markup import Run, pieces, runs

from .factories import ClaimFactory, DocumentFactory

TEXT = "# Harbour plan\nThe **Eastern Quay** project adds *12* berths and __5__ cranes; 3*4 is plain.\n## Next ##"


def test_markup_runs_style_headings_and_emphasis():
    assert runs(TEXT, 0, len(TEXT)) == [
        Run("# ", "markup"), Run("Harbour plan", "heading"), Run("\nThe "), Run("**", "markup"),
        Run("Eastern Quay", "strong"), Run("**", "markup"), Run(" project adds "), Run("*", "markup"),
        Run("12", "em"), Run("*", "markup"), Run(" berths and "), Run("__", "markup"), Run("5", "strong"),
        Run("__", "markup"), Run(" cranes; 3*4 is plain.\n"), Run("## ", "markup"), Run("Next", "heading"),
        Run(" ##", "markup"),
    ]


@given(st.text(alphabet="ab *_#\n12", max_size=60), st.lists(st.integers(0, 60), max_size=6))
def test_markup_pieces_join_to_exactly_their_stretch(text, cuts):
    bounds = sorted({0, len(text), *(min(c, len(text)) for c in cuts)})
    for (start, end), stretch in zip(zip(bounds, bounds[1:]), pieces(text, bounds)):
        assert "".join(r.text for r in stretch) == text[start:end]


def test_markup_span_in_paragraph_keeps_the_quote_exact():
    start = TEXT.index("12")
    paragraph = span_in_paragraph(TEXT, start, start + 2)
    assert paragraph.quote_runs == (Run("12", "em"),)
    assert "".join(r.text for r in paragraph.before_runs) == paragraph.before == "The **Eastern Quay** project adds *"


def test_markup_document_and_review_pages_style_it_and_highlight_the_exact_span(client, reviewer, auth, db_session):
    document = DocumentFactory(text=TEXT)
    claim = ClaimFactory(document=document, quote_text="12", value=12.0)
    db_session.commit()
    auth.login("rita")
    html = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert '<span class="md-markup"># </span><span class="md-heading">Harbour plan</span>' in html
    assert '<span class="md-markup">**</span><span class="md-strong">Eastern Quay</span>' in html
    assert (f'<mark id="claim-{claim.id}" class="claim pending"><a href="/claims/{claim.id}">'
            '<span class="md-em">12</span></a></mark>') in html
    review = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert '<mark class="claim current" id="source-span"><span class="md-em">12</span></mark>' in review
