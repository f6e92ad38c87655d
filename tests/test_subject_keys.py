"""Subjects are entities and measures are concepts: claims about one fact share one key."""
import json
from pathlib import Path

import pytest

from claimtrack import conflicts, ingest, review
from claimtrack.extract import extract_claims
from claimtrack.extract.entities import canonical_subject, subject_key
from claimtrack.sources import DocumentSource, Metadata
from models import Claim, utcnow

from .factories import UserFactory

# (subject as written, name shown, key)
SUBJECTS = [
    pytest.param("Ghana", "Ghana", "country:GH", id="country"),
    pytest.param("Currently Ghana", "Ghana", "country:GH", id="leading-adverb"),
    pytest.param("the Gambia", "Gambia", "country:GM", id="leading-article"),
    pytest.param("Russian Federation", "Russia", "country:RU", id="official-name"),
    pytest.param("Viet Nam", "Vietnam", "country:VN", id="iso-name"),
    pytest.param("Republic of Korea", "South Korea", "country:KR", id="inverted-iso-name"),
    pytest.param("St. Lucia", "Saint Lucia", "country:LC", id="saint-abbreviated"),
    pytest.param("Côte d'Ivoire", "Ivory Coast", "country:CI", id="accents"),
    pytest.param("Guinea Bissau", "Guinea-Bissau", "country:GW", id="hyphen-as-space"),
    pytest.param("Sichuan Province", "Sichuan", "region:CN-SC", id="province-type-word"),
    pytest.param("Sichuan", "Sichuan", "region:CN-SC", id="province-local-type-dropped"),
    pytest.param("Province of Ontario", "Ontario", "region:CA-ON", id="type-of-name"),
    pytest.param("Sao Paulo", "São Paulo", "region:BR-SP", id="state-without-accent"),
    pytest.param("Nairobi", "Nairobi", "city:184745", id="city"),
    pytest.param("Rio de Janeiro", "Rio de Janeiro", "region:BR-RJ", id="state-before-city-of-one-name"),
    pytest.param("city of Rio de Janeiro", "Rio de Janeiro", "city:3451190", id="city-of-names-the-city"),
    pytest.param("Kenyan", "Kenya", "country:KE", id="country-adjective"),
    pytest.param("Chinese", "China", "country:CN", id="shared-adjective-is-the-most-populous-country"),
    pytest.param("Great Britain", "United Kingdom", "country:GB", id="other-spelling"),
    pytest.param("UAE", "United Arab Emirates", "country:AE", id="abbreviation"),
    pytest.param("Argentinian", "Argentina", "country:AR", id="adjective-spelled-ian"),
    pytest.param("Filipinos", "Philippines", "country:PH", id="people-of-a-country"),
    pytest.param("Novartis AG", "Novartis", "name:novartis", id="legal-form-dropped"),
    pytest.param("Tata Motors Ltd.", "Tata Motors", "name:tata motors", id="abbreviated-legal-form-dropped"),
    pytest.param("the Limpopo River", "Limpopo", "region:ZA-LP", id="river-word-dropped"),
    pytest.param("Red River", "Red River", "name:red river", id="river-word-kept-after-a-common-word"),
    pytest.param("the World Bank", "World Bank", "name:world bank", id="organisation-as-written"),
    pytest.param("Reading", "Reading", "name:reading", id="common-word-is-no-place"),
    pytest.param("", "", "", id="empty"),
]


@pytest.mark.parametrize("text, name, key", SUBJECTS)
def test_subject_canonical_name_and_key(text, name, key):
    assert canonical_subject(text) == name
    assert subject_key(text) == key


# (sentence, subject shown, measure key) for the first claim of the sentence
CLAIMS = [
    pytest.param("The population of Peru is currently estimated at 33,700,000.", "Peru", "population",
                 id="x-of-country-and-reporting"),
    pytest.param("Peru's population reached 34 million in 2023.", "Peru", "population", id="possessive"),
    pytest.param("Unemployment in Peru was 6.8% in 2022.", "Peru", "unemployment", id="x-in-country"),
    pytest.param("The jobless rate for Peru in year 2021 is 7.1 %.", "Peru", "jobless", id="for-country-in-year"),
    pytest.param("Currently Peru has 1,200 hospitals.", "Peru", "hospital", id="adverb-before-subject"),
    pytest.param("The latest value for life expectancy (years) in Peru was 77 as of 2021.", "Peru",
                 "life expectancy", id="latest-value-for-and-bracket"),
    pytest.param("Rice yield ; paddy (tonnes per hectare) in Peru was last measured at 8.1 in 2020.", "Peru",
                 "rice yield paddy", id="last-measured-and-semicolon"),
    pytest.param("Peru ended 2022 with a population of 34,049,588 people.", "Peru", "population",
                 id="people-counted-are-population"),
    pytest.param("According to the census, Lima has 9,751,000 inhabitants.", "Lima", "population",
                 id="inhabitants-are-population"),
    pytest.param("The fertility rate in Peru is 2.2 births per woman.", "Peru", "fertility",
                 id="rate-unit-is-not-the-measure"),
    pytest.param("Peru exported 2.4 million tonnes of copper in 2022.", "Peru", "copper export",
                 id="verb-gives-action-noun"),
    pytest.param("Copper exports from Peru reached 2.5 million tonnes.", "Peru", "copper export",
                 id="x-from-country"),
    pytest.param("The GDP of Hubei Province was 5.4 trillion yuan in 2023.", "Hubei", "gdp",
                 id="province-subject-inside-phrase"),
    pytest.param("Hubei is a province of central China. The province has 1,090 hospitals.", "Hubei", "hospital",
                 id="the-province-is-the-document-subject"),
    pytest.param("Rainfall in Lima: 16 mm (2022).", "Lima", "rainfall", id="label-before-colon"),
    pytest.param("Electricity output, total (GWh) in Peru was 60,000 as of 2022.", "Peru", "electricity output",
                 id="indicator-qualifier"),
    pytest.param("The population of the province of Ontario reached 15.6 million.", "Ontario", "population",
                 id="kind-of-place-dropped"),
    pytest.param("Ontario has 140 public hospitals.", "Ontario", "public hospital", id="restricting-adjective-kept"),
    pytest.param("UNICEF lending reached $1.2 billion in 2021.", "UNICEF", "lending",
                 id="organisation-name-split-from-measure"),
    pytest.param("Exports of Brazil were last measured at 340 billion US dollars in 2023.", "Brazil", "export",
                 id="measure-of-country-as-sentence-subject"),
    pytest.param("Bolivia has a population of a little over 12 million.", "Bolivia", "population",
                 id="qualifier-a-little-over"),
    pytest.param("By the middle of 2021, the population of Bolivia was estimated at 11.8 million.", "Bolivia",
                 "population", id="opening-adverbial-then-subject"),
    pytest.param("The population of Bolivia, including La Paz, was put at 12 million.", "Bolivia", "population",
                 id="place-in-subject-phrase-beats-nearer-place"),
    pytest.param("Bolivia covers 1,098,581 square kms and a population of 12 million.", "Bolivia", "population",
                 id="and-after-another-figure-ends-the-phrase"),
    pytest.param("Bolivia has a population of 12 million in an area twice the size of France.", "Bolivia",
                 "population", id="in-phrase-after-an-of-measure"),
    pytest.param("Acme Mining employs about 4,000 staff.", "Acme Mining", "employee", id="employs-staff"),
    pytest.param("Freedonia has a small population of 2.3 million.", "Freedonia", "population",
                 id="size-word-before-of-is-no-measure"),
    pytest.param("Acme Mining has a very sizeable workforce of 4,000.", "Acme Mining", "workforce",
                 id="graded-size-word-before-of"),
    pytest.param("Freedonia has a large urban population of 3 million.", "Freedonia", "urban population",
                 id="size-word-dropped-restricting-word-kept"),
    pytest.param("Freedonia has 500 small businesses.", "Freedonia", "small business",
                 id="size-word-of-the-counted-noun-kept"),
    pytest.param("Sylvania won 5 out of 10 regional awards.", "Sylvania", "regional award", id="out-of-count"),
    pytest.param("The Port of Durban has 58 berths.", "Port of Durban", "berth", id="name-holding-a-place-kept"),
    pytest.param("Peruvian exports reached $63 billion in 2022.", "Peru", "export", id="demonym"),
    pytest.param("Peru is home to about 34 million people.", "Peru", "population", id="home-to-people"),
    pytest.param("Kenyan tea exports reached $1.2 billion in 2022.", "Kenya", "tea export", id="adjective-and-measure"),
    pytest.param("Côte d'Ivoire's cocoa exports reached 2.2 million tonnes.", "Ivory Coast", "cocoa export",
                 id="possessive-of-an-elided-name"),
    pytest.param("The gross domestic product of Ghana was $76 billion in 2022.", "Ghana", "gdp",
                 id="gdp-written-out"),
    pytest.param("Life expectancy at birth in Ghana was 64 years.", "Ghana", "life expectancy",
                 id="at-birth-is-the-default"),
    pytest.param("Ghana generated 24 TWh of electricity in 2022.", "Ghana", "electricity production",
                 id="generation-is-production"),
    pytest.param("Chile's carbon dioxide emissions per capita were 4.3 tonnes in 2020.", "Chile",
                 "co2 emission per capita", id="co2-written-out"),
    pytest.param("Chile's CO2 emissions were 4.4 tonnes per capita in 2021.", "Chile", "co2 emission per capita",
                 id="per-capita-after-the-unit"),
    pytest.param("Mount Elgon rises to 4,321 metres above sea level.", "Mount Elgon", "elevation",
                 id="above-sea-level-is-elevation"),
    pytest.param("The elevation of Quito is 9,350 feet.", "Quito", "elevation", id="elevation-is-a-length-already"),
    pytest.param("Estadio Azteca has a capacity of 83,264 seats.", "Estadio Azteca", "capacity",
                 id="capacity-counted-in-seats"),
    pytest.param("The capacity of Estadio Azteca is 83,264.", "Estadio Azteca", "capacity",
                 id="city-of-is-a-whole-word"),
    pytest.param("Greece's monthly minimum wage was €780 in 2023.", "Greece", "minimum wage",
                 id="monthly-goes-to-the-unit"),
    pytest.param("Tyrol, the westernmost state of Austria, has 760,000 inhabitants.", "Tyrol", "population",
                 id="apposition-after-the-subject"),
    pytest.param("Iberdrola posted revenue of €49 billion in 2023.", "Iberdrola", "revenue",
                 id="past-tense-after-the-name-is-the-verb"),
    pytest.param("Greece's minimum wage was raised to 830 euros a month in 2024.", "Greece", "minimum wage",
                 id="participle-before-to"),
    pytest.param("Iberdrola's revenue was €49 billion in the year to December 2023.", "Iberdrola", "revenue",
                 id="year-to-is-a-period"),
    pytest.param("Ghana's external debt was $30 billion in the fourth quarter of 2022.", "Ghana", "external debt",
                 id="quarter-is-a-period"),
    pytest.param("Urban population in Ghana numbered 18 million in 2021.", "Ghana", "urban population",
                 id="numbered-is-a-verb"),
    pytest.param("The Zambezi stretches 2,574 kilometres to the Indian Ocean.", "Zambezi", "length",
                 id="present-tense-verb-after-the-subject"),
    pytest.param("Chile has a much smaller population of 19 million.", "Chile", "population",
                 id="graded-size-word"),
]


@pytest.mark.parametrize("sentence, subject, measure", CLAIMS)
def test_claim_subject_and_measure(sentence, subject, measure):
    claim = extract_claims(sentence)[-1]
    assert (claim.subject, claim.measure) == (subject, measure)
    assert claim.subject_key == subject_key(subject)


UNIT_DESCRIPTIONS = [
    pytest.param("Health spending per person (current US$) in Peru was 370 in 2021.", "USD",
                 "Health spending per person (current US$)", id="current-us-dollars"),
    pytest.param("Petrol price (euros per litre) in Lagos was 0.62 in 2023.", "EUR",
                 "Petrol price (euros per litre)", id="currency-words-per-unit"),
    pytest.param("Youth unemployment (% of labour force) in Peru was 11.2 in 2022.", "%",
                 "Youth unemployment (% of labour force)", id="percent-of"),
    pytest.param("Life expectancy (years) in Peru was 77 in 2021.", "", "Life expectancy (years)",
                 id="no-currency-only-variant"),
    pytest.param("Energy use (kg of oil equivalent per capita) in Peru was 780 in 2014.", "",
                 "Energy use (kg of oil equivalent per capita)", id="per-capita-of-an-unknown-unit"),
    pytest.param("CO2 emissions (metric tons per capita) in Peru were 1.8 in 2020.", "t",
                 "CO2 emissions (metric tons per capita)", id="unit-per-capita"),
]


@pytest.mark.parametrize("sentence, unit, measure_text", UNIT_DESCRIPTIONS)
def test_bracketed_description_gives_unit_and_variant_not_measure(sentence, unit, measure_text):
    claim = extract_claims(sentence)[0]
    assert (claim.unit, claim.measure_text) == (unit, measure_text)
    assert "(" not in claim.measure


@pytest.mark.parametrize("sentence", [
    pytest.param("The population of Freedonia (national statistics office) was 3,100,000 in 2020.", id="source"),
    pytest.param("Hospital beds in Freedonia (2019 survey) numbered 12,400.", id="dated-source"),
])
def test_bracket_naming_no_unit_is_no_variant(sentence):
    claim = extract_claims(sentence)[0]
    assert (claim.measure_variant, "(" in claim.measure_text) == ("", False)


def test_variants_of_one_measure_share_the_key_but_not_the_variant():
    average, year_end = (extract_claims(f"Inflation ({how} change %) for Peru in year 2023 is {v} %.")[0]
                         for how, v in (("average consumer price", "6.3"), ("end of year", "3.2")))
    assert (average.subject_key, average.measure) == (year_end.subject_key, year_end.measure) == ("country:PE", "inflation")
    assert (average.measure_variant, year_end.measure_variant) == ("average consumer price change %", "end of year change %")


def test_same_fact_in_other_phrasings_gets_one_key():
    sentences = ["Kenya's unemployment rate stood at 5.7% in 2022.",
                 "The unemployment rate in Kenya was 5.6 percent in 2021.",
                 "Unemployment in Kenya reached 5.5% in 2020, according to the labour ministry."]
    keys = {(c.subject_key, c.measure) for s in sentences for c in extract_claims(s)}
    assert keys == {("country:KE", "unemployment")}


def test_different_facts_of_one_country_keep_apart():
    sentences = ["GNI per capita, PPP (current international $) in Kenya was 5,200 as of 2022.",
                 "GNI, PPP (current international $) in Kenya was 280,000,000,000 as of 2022.",
                 "GDP per capita (current US$) in Kenya was 2,100 in 2022."]
    measures = [extract_claims(s)[0].measure for s in sentences]
    assert measures == ["gni per capita ppp", "gni ppp", "gdp per capita"]


def test_a_sentence_naming_its_own_place_is_not_given_the_documents_subject():
    # A page about several countries: the document's subject is the first country, but a sentence
    # whose clause names no subject and mentions another place is about that place.
    text = ("Portugal raised its monthly minimum wage to 820 euros in 2024.\n\n"
            "Across the border, Spain set its own at 1,134 euros.\n\n"
            "Morocco lifted the figure for farm work to 2,970 dirhams.\n\n"
            "At 870 euros, it still trails the French level.")
    subjects = [(c.quote, c.subject) for c in extract_claims(text)]
    assert subjects == [("820 euros", "Portugal"), ("1,134 euros", "Spain"), ("2,970", "Morocco"),
                        ("870 euros", "Portugal")]


def test_places_named_inside_a_sentence_do_not_take_the_documents_subject():
    text = ("Yunnan has 15 civil airports.\n\n"
            "The network became denser, with new passenger routes from Kunming to Hanoi and two cargo "
            "routes from Urumqi to Tashkent, bringing the total number of international routes to 30.")
    assert [(c.quote, c.subject) for c in extract_claims(text)][-1] == ("30", "Yunnan")


def test_a_sentence_naming_the_documents_subject_keeps_it():
    text = ("Chile has 19.6 million inhabitants.\n\n"
            "Chile, which borders Peru and Bolivia, exported 98 billion US dollars of goods in 2022.")
    assert {c.subject for c in extract_claims(text)} == {"Chile"}


def test_city_of_a_name_is_the_city_not_the_state():
    city, state = (extract_claims(f"The {kind} of Rio de Janeiro had {n} million inhabitants in 2022.")[0]
                   for kind, n in (("city", "6.2"), ("state", "16.1")))
    assert (city.subject_key, state.subject_key) == ("city:3451190", "region:BR-RJ")
    assert city.measure == state.measure == "population"


def test_bracketed_share_and_per_capita_name_the_measure():
    share, per_head = (extract_claims(s)[0].measure for s in (
        "Urban population (% of total population) in Peru was 78.7 in 2022.",
        "CO2 emissions (metric tons per capita) in Peru were 1.8 in 2020."))
    assert (share, per_head) == ("urban population share", "co2 emission per capita")
    assert extract_claims("Peru's urban population was 26 million in 2022.")[0].measure == "urban population"


def test_own_fact_key_set_is_labelled_and_large_enough():
    rows = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "fact_keys.jsonl").read_text(encoding="utf-8").splitlines()]
    claims = [c for r in rows for c in r["claims"]]
    assert len(claims) >= 150
    assert all(c["quote"] in r["text"] for r in rows for c in r["claims"])


def test_own_conflict_pairs_are_labelled_and_cover_every_label():
    pairs = [json.loads(line) for line in
             (Path(__file__).parent / "data" / "conflict_pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    labels = {p["label"] for p in pairs}
    assert labels == {"conflict", "agree", "different_period", "different_measure"}
    assert all(p[side]["quote"] in p[side]["text"] for p in pairs for side in ("a", "b"))


def _ingest(db_session, text: str) -> Claim:
    source = DocumentSource(text=text, file_name="keys.txt", source="test", media_type="text/plain",
                            metadata=Metadata(title="Keys", published=None))
    result = ingest.ingest(db_session, source)
    return db_session.query(Claim).filter_by(document_id=result.document_id).one()


def test_ingest_stores_the_subject_key_and_variant(db_session):
    claim = _ingest(db_session, "Currently Ghana has 1,200 hospitals.")
    db_session.refresh(claim)
    assert (claim.subject, claim.subject_key, claim.measure) == ("Ghana", "country:GH", "hospital")
    claim = _ingest(db_session, "GDP per capita (current US$) in Ghana was 2,200 in 2022.")
    db_session.refresh(claim)
    assert (claim.subject_key, claim.measure, claim.unit, claim.measure_variant) == (
        "country:GH", "gdp per capita", "USD", "current us$")


def test_correcting_the_subject_recomputes_its_key_and_undo_restores_it(db_session):
    claim = _ingest(db_session, "Currently Ghana has 1,200 hospitals.")
    lead = UserFactory(role="lead")
    outcome = review.decide(db_session, claim, lead, "correct", version=claim.version, now=utcnow(),
                            values={"subject": "Province of Ontario"}, check_lease=False)
    db_session.flush()
    db_session.refresh(claim)
    assert (claim.subject, claim.subject_key) == ("Province of Ontario", "region:CA-ON")
    review.undo(db_session, outcome.review, lead, utcnow())
    db_session.flush()
    db_session.refresh(claim)
    assert (claim.subject, claim.subject_key) == ("Ghana", "country:GH")


def _in_one_conflict(db_session, a: str, b: str) -> bool:
    """Ingest two one-claim documents; True when one group in conflict holds both claims."""
    ids = {_ingest(db_session, a).id, _ingest(db_session, b).id}
    db_session.flush()
    return any(ids <= {m.id for m in members} for _, members in conflicts.iter_conflicts(db_session))


@pytest.mark.parametrize("a, b, conflict", [
    pytest.param("Greece's monthly minimum wage was €780 in 2023.",
                 "The minimum wage in Greece was 830 euros a month in 2023.", True, id="monthly-and-a-month"),
    pytest.param("Mount Elgon rises to 4,321 metres above sea level.", "The elevation of Mount Elgon is 4,100 m.",
                 True, id="above-sea-level-and-elevation"),
    pytest.param("CO2 emissions (metric tons per capita) in Chile were 4.3 in 2020.",
                 "Chile's carbon dioxide emissions per capita were 5.9 tonnes in 2020.", True,
                 id="per-capita-in-a-bracket-and-in-words"),
    pytest.param("Chile's CO2 emissions were 4.4 tonnes per capita in 2021.",
                 "Chile's CO2 emissions were 85 million tonnes in 2021.", False, id="per-capita-is-not-the-total"),
    pytest.param("The city of Rio de Janeiro had 6.2 million inhabitants in 2022.",
                 "The state of Rio de Janeiro had 16.1 million inhabitants in 2022.", False, id="city-is-not-its-state"),
    pytest.param("Chile's GDP grew by 2.4% in 2022.", "GDP growth (annual %) in Chile was 3.1 in 2022.", True,
                 id="grew-by-and-growth-rate"),
    pytest.param("The median age in Mali is 16 years.", "Mali has a median age of 19.5 years.", True,
                 id="age-of-n-years-and-n-years"),
])
def test_restated_facts_meet_and_other_facts_stay_apart(db_session, a, b, conflict):
    assert _in_one_conflict(db_session, a, b) is conflict
