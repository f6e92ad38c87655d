"""Quantities of technical text: unit symbols decided by context, compound units and notation."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from claimtrack.conflicts.compare import claim_interval
from claimtrack.extract import extract_claims
from claimtrack.extract.symbols import TECHNICAL, read_symbols
from claimtrack.extract.units import SYMBOL_UNITS, pint_expression, registry

from .rule_cases import assert_claims, case

CASES = [
    # a short symbol after a number: a unit in technical text, refused where money is spoken of
    case("Samples were held for 3 h at 20 K.", {"quote": "3 h", "unit": "h"}, {"quote": "20 K", "unit": "K"},
         id="symbols-in-technical-sentence"),
    case("The firm raised 3 m in new funding.", {"quote": "3 m", "value": 3e6, "unit": ""}, id="money-m-is-million"),
    case("The station sits at 2617 m above sea level.", {"value": 2617, "unit": "m"}, id="metre-with-height-cue"),
    case("He scored 3 h later.", {"quote": "3", "unit": ""}, id="letter-refused-in-plain-text"),
    case("Placebo infusions ran over 4 h, and the cohort was followed for 90 d.", {"quote": "4 h", "unit": "h"},
         {"quote": "90 d", "unit": "d"}, id="clinical-vocabulary-is-technical"),
    case("Those sleeping under 5 h per night walked less.", {"quote": "5 h", "unit": "h"},
         id="hours-counted-per-night-in-any-text"),
    case("A 30 ms pulse of 7 keV photons at 5 mbar.", {"unit": "ms"}, {"unit": "keV"}, {"unit": "mbar"},
         id="unambiguous-symbols-anywhere"),
    case("Each dose held 40 μg.", {"unit": "µg"}, id="greek-mu-is-micro"),
    case("The grid carried 310 terawatt hours last year; the dam gives 4 gigawatt-hours a day "
         "from 2 megawatts of turbines.", {"quote": "310 terawatt hours", "unit": "TWh"},
         {"quote": "4 gigawatt-hours a day", "unit": "GWh/d"}, {"quote": "2 megawatts", "unit": "MW"},
         id="prefixed-watts-and-watt-hours-spelt-out"),
    # compound units
    case("Wind speed reached 7.8 m s−1 with a flux of 1 mW m−2.", {"quote": "7.8 m s−1", "unit": "m/s"},
         {"quote": "1 mW m−2", "unit": "mW/m2"}, id="compound-with-exponents"),
    case("Concentrations of 25 ng/ml in a density of 1200 kg/m3.", {"unit": "ng/ml"}, {"unit": "kg/m3"},
         id="compound-with-slash"),
    case("It used 5 W·h and 1 J mol−1 K−1.", {"unit": "W*h"}, {"unit": "J/mol/K"}, id="product-dot-and-two-inverses"),
    case("The film held 12 wt% Ni at 45° with 3‰ loss.", {"unit": "%"}, {"unit": "deg"}, {"unit": "‰"},
         id="weight-percent-angle-permille"),
    case("The pellet held 15 vol.% pores and 2 mol.% dopant.", {"quote": "15 vol.%", "unit": "%"},
         {"quote": "2 mol.%", "unit": "%"}, id="volume-and-mole-percent-with-a-dot"),
    case("Binding rose three-fold at 37 °C.", {"quote": "three-fold", "value": 3, "unit": "times"}, {"unit": "degC"},
         id="number-word-fold"),
    case("Slides were scanned at 40x magnification in 10x buffer.", {"quote": "40x", "value": 40, "unit": "times"},
         {"quote": "10x", "unit": "times"}, id="letter-x-glued-to-a-factor"),
    case("The signal grew ~6× at the edge.", {"value": 6, "unit": "times", "qualifier": "~"}, id="factor-sign"),
    # notation
    case("The gap was 5 ± 0.2 K.", {"quote": "5 ± 0.2 K", "value": 5, "uncertainty": 0.2, "unit": "K"},
         id="tolerance-one-quantity"),
    case("The lattice constant is a = 5.431(2) Å.", {"value": 5.431, "uncertainty": 0.002, "unit": "Å"},
         id="concise-uncertainty"),
    case("A rate of 1.5e6 counts and 2.3 × 10^5 cells at 10−5 mbar.", {"value": 1.5e6}, {"value": 230000.0},
         {"value": 1e-5, "unit": "mbar"}, id="scientific-notation"),
    case("The cavity's finesse was 4.5 × 10⁵. Its length was 8e3.", {"quote": "4.5 × 10⁵", "value": 4.5e5},
         {"quote": "8e3", "value": 8000}, id="exponent-before-a-full-stop"),
    case("Rates of 3.2 × 10^{-4} s^{-1} and 1.2 × 10^(-3) m s^-1 were reached at 10^{-6} mbar.",
         {"value": 3.2e-4, "unit": "1/s"}, {"value": 1.2e-3, "unit": "m/s"}, {"value": 1e-6, "unit": "mbar"},
         id="braced-exponents"),
    case("Chamber pressure dropped to 10−7.", {"quote": "10−7", "value": 1e-7}, id="power-of-ten-before-a-full-stop"),
    case("The measured load was 816 000 t of sediment in the flood year.", {"value": 816000, "unit": "t"},
         id="space-grouped-thousands-before-a-unit"),
    case("We sequenced 12 500 isolates and 3 000 controls at 37 °C.", {"quote": "12 500", "value": 12500},
         {"quote": "3 000", "value": 3000}, {"unit": "degC"}, id="space-grouped-thousands-before-a-counted-word"),
    case("The arc temperature reached 8000–11,000 K.", {"value": 8000, "value_max": 11000, "unit": "K"},
         id="kelvin-in-temperature-context"),
    case("Spectra were taken at 40–50 K in vacuum.", {"value": 40, "value_max": 50, "unit": "K"},
         id="range-with-unit-at-end"),
    case("Samples were cooled to 10, 20 and 40 K.", {"unit": "K"}, {"unit": "K"}, {"unit": "K"},
         id="list-members-share-unit"),
    case("Plants grew at 350 or 700 ppm CO2 for 2 or 3 days at 20 °C.", {"quote": "350", "unit": "ppm"},
         {"quote": "700 ppm", "unit": "ppm"}, {"value": 2, "value_max": 3, "unit": "d"}, {"unit": "degC"},
         id="settings-joined-by-or-are-a-list"),
    case("Inhibitor was added at 0.05, 0.5 and 5 μM, and the ligand at 2 or 200 nM.", {"value": 0.05, "unit": "µM"},
         {"value": 0.5, "unit": "µM"}, {"value": 5, "unit": "µM"}, {"value": 2, "unit": "nM"}, {"value": 200, "unit": "nM"},
         id="dose-series-shares-the-unit-across-decades"),
    case("Pulses were measured at 30 and 60 ms.", {"value": 30, "unit": "ms"}, {"value": 60, "unit": "ms"},
         id="two-quantities-one-unit"),
    case("A 10 × 10 m grid of sensors covered the site.", {"quote": "10 × 10 m", "value": 10, "unit": "m"}, id="dimension"),
    case("The layer was washed with 3 × 25 mL of brine and sonicated for 4 × 15 s.", {"quote": "3 × 25 mL", "value": 25, "unit": "ml"},
         {"quote": "4 × 15 s", "value": 15, "unit": "s"}, id="repeated-portion-is-the-amount-repeated"),
    case("Coupons of 20 mm × 8 mm × 2 mm were cut at 25 °C.", {"quote": "20 mm × 8 mm × 2 mm", "value": 20, "unit": "mm"},
         {"unit": "degC"}, id="dimension-with-the-unit-on-every-side"),
    case("Antibody was used at a 1:50 dilution in buffer.", {"value": 0.02, "unit": "ratio"}, id="ratio"),
    case("The clock ran from 1:50 to 2:10 each night.", id="clock-time-is-no-ratio"),
    case("The aldol gave dr > 15:1, eluting with hexane/EtOAc 3:1 (v/v) over 4 mol % Pd.", {"value": 15, "unit": "ratio"},
         {"value": 3, "unit": "ratio"}, {"quote": "4 mol %", "unit": "%"}, id="ratios-named-by-dr-and-v-v-and-spaced-mol-percent"),
    case("Brine froze at –21 °C, and the bath ran 5–10 min (at –3 °C).", {"quote": "–21 °C", "value": -21},
         {"value": 5, "value_max": 10, "unit": "min"}, {"quote": "–3 °C", "value": -3}, id="en-dash-as-a-minus-sign"),
    case("Viscosity fell from 12 mPa s to 4 mPa s while grains grew from 5 to 30 µm.", {"quote": "12 mPa s"},
         {"quote": "4 mPa s"}, {"quote": "5 to 30 µm", "value": 5, "value_max": 30}, id="before-and-after-levels-are-two"),
    case("Thermal contraction between 300 K and 77 K was small.", {"quote": "300 K"}, {"quote": "77 K"},
         id="between-descending-is-two-levels"),
    case("Carbonyl bands lie at 1710 and 1685 cm−1, and amide bands at 1540, 1620 and 1655 cm−1.",
         {"quote": "1710", "unit": "1/cm"}, {"quote": "1685 cm−1"}, {"quote": "1540"}, {"quote": "1620"},
         {"quote": "1655 cm−1"}, id="list-of-year-like-numbers-before-a-unit"),
    case("Between 2016 and 2018, 4 m of sediment settled at 12 °C.", {"quote": "4 m"}, {"quote": "12 °C"},
         id="years-before-a-comma-stay-years"),
    case("In 2017, 6 m of snow fell, and from 1995 to 2015, 3 mm of ash at 12 °C.", {"quote": "6 m"}, {"quote": "3 mm"},
         {"quote": "12 °C"}, id="a-year-and-a-clause-after-its-comma"),
    case("Transects ran between 1900 and 2300 m at 12 °C.", {"quote": "1900 and 2300 m", "value": 1900, "value_max": 2300},
         {"quote": "12 °C"}, id="between-year-like-numbers-and-a-unit"),
    case("Grain sizes ranged from 63 to 2000 µm in the fan.", {"value": 63, "value_max": 2000, "unit": "µm"},
         id="number-before-a-symbol-is-no-year"),
    case("The film conducted 1.2 × 10−3 S cm−1 at 298 K.", {"value": 0.0012, "unit": "S/cm"}, {"unit": "K"},
         id="compound-only-base-in-a-compound"),
    case("It was 12 C outside.", {"unit": "degC"}, id="bare-C-stays-celsius"),
    case("Peaks were indexed up to 80° (2θ) as in the patterns.", {"value": 80, "unit": "deg"}, id="glued-greek-letter"),
    case("Seedlings were grown under a 16 h light/8 h dark cycle at 22 °C.", {"unit": "h"}, {"unit": "h"},
         {"unit": "degC"}, id="celsius-makes-the-sentence-technical"),
    case("The stars have masses between 0.5 and 2 M⊙.", {"value": 0.5, "value_max": 2, "unit": ""},
         id="symbol-glued-to-a-sign-is-no-molar"),
    case("Stars of 10 M_sun were modelled in a 0.1 M HCl solution.", {"quote": "10", "unit": ""},
         {"quote": "0.1 M", "unit": "M"}, id="symbol-followed-by-a-subscript-is-no-unit"),
    case("We enrolled 410 adults aged 45–70 years with plasma glucose above 7 mmol/L.", {"quote": "410"},
         {"quote": "45–70 years", "value": 45, "value_max": 70, "unit": "a"}, {"unit": "mmol/l"},
         id="study-ages-with-their-unit-are-quantities"),
    case("Patients aged 18 to 65 were dosed at 5 mg/kg.", {"unit": "mg/kg"}, id="age-band-without-unit-stays-a-band"),
    case("The stress drop was 2–4 MPa and the b-value of 1.1.", {"unit": "MPa"}, {"quote": "1.1", "unit": ""},
         id="unitless-measure-takes-no-earlier-unit"),
    case("Scans used a 7T magnet and a 1.5T scanner at 20 °C.", {"quote": "7T", "unit": "T"}, {"quote": "1.5T", "unit": "T"},
         {"unit": "degC"}, id="tesla-glued-to-the-number"),
    case("Growth was 5 pc last year.", {"unit": "%"}, id="pc-is-percent-before-parsec"),
    case("Data were collected in week 2 and week 6 after transplantation.", id="time-point-labels"),
    case("They worked 12 hours a day 5 days a week.", {"unit": "h/d"}, {"unit": "d/week"},
         id="a-day-is-no-time-point-label"),
    case("The ratio was computed as A/B × 100.", id="constant-after-symbols"),
    case("Viscosity was 1.0 mPa s at room temperature, torque 45 N m.", {"unit": "mPa*s"}, {"unit": "N*m"},
         id="product-by-space-without-exponent"),
    case("The beam was 5 m in length and 3 m at the base.", {"unit": "m"}, {"unit": "m"},
         id="a-word-after-a-symbol-is-no-product"),
    case("The oscillator ran at 25 MHz ±4% in every sample measured.",
         {"quote": "25 MHz ±4%", "value": 25, "uncertainty": 1.0, "unit": "MHz"}, id="percent-tolerance-is-relative"),
    case("The rate was (4.4 ± 0.3) × 10⁻² s⁻¹ and the diffusivity 1.9 ± 0.1 × 10^−10 m² s⁻¹.",
         {"quote": "(4.4 ± 0.3) × 10⁻² s⁻¹", "value": 0.044, "uncertainty": 0.003, "unit": "1/s"},
         {"quote": "1.9 ± 0.1 × 10^−10 m² s⁻¹", "value": 1.9e-10, "uncertainty": 1e-11, "unit": "m2/s"},
         id="tolerance-then-power-of-ten"),
    case("The exciton binds with (18 ± 2) meV.", {"quote": "(18 ± 2) meV", "value": 18, "uncertainty": 2, "unit": "meV"},
         id="bracketed-value-and-tolerance-then-unit"),
    case("The moon's radius is 0.82 +0.06/−0.03 km and the disk is 2.1^{+0.4}_{-0.2} Gyr old.",
         {"quote": "0.82 +0.06/−0.03 km", "value": 0.82, "uncertainty": 0.06, "unit": "km"},
         {"quote": "2.1^{+0.4}_{-0.2} Gyr", "value": 2.1, "uncertainty": 0.4, "unit": "Ga"},
         id="asymmetric-tolerance"),
    case("Values of 3.2 (±0.4) mm were measured.", {"value": 3.2, "uncertainty": 0.4, "unit": "mm"},
         id="bracketed-tolerance"),
    case("A 0.1 M KOH solution was used.", {"value": 0.1, "unit": "M"}, id="molar-in-a-solution"),
    case("Resistivity was 2.3 × 10^−8 Ω m.", {"value": 2.3e-8, "unit": "Ω*m"}, id="ohm-metre"),
    # units of battery, radio and network datasheets
    case("The pack stores 3200 mAh and its module 50 Ah at 3.6 V.", {"value": 3200, "unit": "h*mA"},
         {"value": 50, "unit": "Ah"}, {"unit": "V"}, id="ampere-hours"),
    case("The beacon transmits at 14 dBm, and the uplink carries 2.5 Gbit/s.", {"value": 14, "unit": "dBm"},
         {"value": 2.5, "unit": "Gbit/s"}, id="dbm-and-bit-rates"),
    case("A 64 bit key was rotated after a 5 day course.", {"quote": "64", "unit": ""}, {"unit": "d"},
         id="bit-and-day-alone-are-words"),
    case("Feed was given at 12 g kg−1 day−1 by the keepers.", {"quote": "12 g kg−1 day−1", "unit": "g/kg/d"},
         id="day-with-an-exponent-in-a-compound"),
    # units of the sciences: ages and rates in years, barns, ergs, parts per billion, a square root
    case("Clay accumulated at 0.8 mm a⁻¹ for 12 ka; the ash bed below is 2.6 Ma old.",
         {"quote": "0.8 mm a⁻¹", "unit": "mm/a"}, {"quote": "12 ka", "unit": "ka"}, {"quote": "2.6 Ma", "unit": "Ma"},
         id="annum-and-its-multiples"),
    case("The quasar emits 4 × 10⁴⁴ erg s⁻¹, and the detector logged 36 fb⁻¹ of collisions.",
         {"value": 4e44, "unit": "erg/s"}, {"value": 36, "unit": "1/fb"}, id="erg-and-inverse-femtobarn"),
    case("The resonance sits at 91.2 GeV/c² and the pion beam runs at 8 GeV/c.", {"unit": "GeV/c2"}, {"unit": "GeV/c"},
         id="momentum-and-mass-over-the-speed-of-light"),
    case("Ozone peaked at 62 ppb under a 10 mHz modulation.", {"unit": "ppb"}, {"unit": "mHz"},
         id="parts-per-billion-and-millihertz"),
    case("Grain yield was 7.1 Mg ha⁻¹ on plots dressed with 40 kg Mg.", {"quote": "7.1 Mg ha⁻¹", "unit": "Mg/ha"},
         {"quote": "40 kg", "unit": "kg"}, id="megagram-only-in-a-compound"),
    case("The anode delivered 140 mAh g⁻¹ at 25 °C.", {"quote": "140 mAh g⁻¹", "unit": "mAh/g"}, {"unit": "degC"},
         id="milliampere-hours-per-gram"),
    case("The weld's toughness of 31 MPa·m^1/2 was measured at 25 °C.",
         {"quote": "31 MPa·m^1/2", "unit": "MPa*m0.5"}, {"unit": "degC"}, id="square-root-exponent"),
    case("Mean arterial pressure fell by 8 mm Hg in the treated arm.", {"quote": "8 mm Hg", "unit": "mmHg"},
         id="millimetres-of-mercury-in-two-words"),
    case("The pulsar is 1.2 Gyr old, its nebula 30 kyr, and its companion orbits at 3 AU.",
         {"quote": "1.2 Gyr", "unit": "Ga"}, {"quote": "30 kyr", "unit": "ka"}, {"quote": "3 AU", "unit": "au"},
         id="years-with-prefixes-and-astronomical-units"),
    case("The blazar moves 0.4 mas yr−1 across a 3 deg² field and peaks at 8 mJy.", {"unit": "mas/a"},
         {"unit": "deg2"}, {"quote": "8 mJy", "unit": "mJy"}, id="milliarcseconds-square-degrees-janskys"),
    case("The ferrite saturates at 48 emu/g in 10 kOe, and serum lipase was 40 U/L with 3 μU/mL insulin.",
         {"unit": "emu/g"}, {"unit": "kOe"}, {"unit": "U/l"}, {"unit": "µU/ml"}, id="emu-oersted-enzyme-units"),
    case("Vials of 5 mCi were stored at 4 ºC.", {"unit": "mCi"}, {"quote": "4 ºC", "unit": "degC"},
         id="curie-and-ordinal-degree-sign"),
    case("The core was drilled at 71.3°S, 12.8°W.", {"quote": "71.3°S", "unit": "deg"}, {"quote": "12.8°W", "unit": "deg"},
         id="latitude-and-longitude"),
    case("Litter added 210 g C m−2 yr−1 and fertiliser 60 kg N ha−1, while fires emit 2.1 Pg C yr⁻¹ or 8 Gt CO2 yr−1.",
         {"quote": "210 g C m−2 yr−1", "unit": "g/m2/a"}, {"quote": "60 kg N ha−1", "unit": "kg/ha"},
         {"quote": "2.1 Pg C yr⁻¹", "unit": "Pg/a"}, {"quote": "8 Gt CO2 yr−1", "unit": "Gt/a"},
         id="element-weighed-between-mass-and-denominator"),
    case("The film's resistivity fell from 2.4 mΩ cm to 35 µΩ cm.", {"quote": "2.4 mΩ cm", "unit": "mΩ*cm"},
         {"quote": "35 µΩ cm", "unit": "µΩ*cm"}, id="ohm-centimetre"),
    case("Leaves were lit with 800 µmol photons m−2 s−1 at 25 °C.", {"quote": "800 µmol photons m−2 s−1", "unit": "µmol/m2/s"},
         {"unit": "degC"}, id="photons-counted-between-amount-and-denominator"),
    case("The crystal has d31 = 18 pm/V and a 40 pm V⁻¹ tensor element.", {"quote": "18 pm/V", "unit": "pm/V"},
         {"quote": "40 pm V⁻¹", "unit": "pm/V"}, id="picometre-per-volt-is-no-clock-time"),
    case("The talk starts at 5 pm and the lab closes at 11pm.", id="clock-times-stay-masked"),
    case("Reduction of the ester at −78 °C afforded 3b in 60% yield.", {"unit": "degC"}, {"unit": "%"},
         id="number-and-letter-labels-a-compound"),
    # a count per unit, and a bare number per unit in technical text
    case("The detector recorded 900 counts/s and the pump 70 strokes/min.", {"value": 900, "unit": "1/s"},
         {"value": 70, "unit": "1/min"}, id="count-per-symbol"),
    case("Fibroblasts were seeded at 3 × 10^4 cells cm−2, sputum held 2 × 10^6 CFU/g and lysate 10^8 PFU mL−1.",
         {"quote": "3 × 10^4 cells cm−2", "unit": "1/cm2"}, {"quote": "2 × 10^6 CFU/g", "unit": "1/g"},
         {"quote": "10^8 PFU mL−1", "unit": "1/ml"}, id="count-per-symbol-with-exponent-and-forming-units"),
    case("The decay constant measured was 0.05 per hour in the sample.", {"quote": "0.05 per hour", "unit": "1/h"},
         id="rate-per-time-word-in-technical-text"),
    case("Resting rate was 64 beats per minute at 37 °C.", {"quote": "64 beats per minute", "unit": "1/min"},
         {"unit": "degC"}, id="count-per-time-word"),
    case("Crystals were held at 90 kelvin in 2 millimolar buffer with 15 micrograms per millilitre for 30 milliseconds.",
         {"quote": "90 kelvin", "unit": "K"}, {"quote": "2 millimolar", "unit": "mM"},
         {"quote": "15 micrograms per millilitre", "unit": "µg/ml"}, {"quote": "30 milliseconds", "unit": "ms"},
         id="units-of-the-sciences-in-words"),
    case("Neutrophils fell to 1.2 × 10^9/L and blasts to 3 × 10⁶/mL at 4 °C.", {"quote": "1.2 × 10^9/L", "unit": "1/l"},
         {"quote": "3 × 10⁶/mL", "unit": "1/ml"}, {"unit": "degC"}, id="count-per-unit-after-notation"),
    case("Calls reached 170 dB re 1 µPa in the measured band.", {"unit": "dB"}, {"quote": "1 µPa", "unit": "µPa"},
         id="micropascal"),
    case("He drinks 3 per day.", {"quote": "3", "unit": ""}, id="per-day-stays-a-count-outside-technical-text"),
    case("The slab needs 565 mm² per metre of steel in the measured section.",
         {"quote": "565 mm² per metre", "unit": "mm2/m"}, id="per-metre"),
    # names and notes that are no quantities
    case("Each group (n = 6) received 4 mg/kg.", {"quote": "4 mg/kg"}, id="sample-size-is-no-claim"),
    case("Grout of grade M25/30 reached 31 MPa.", {"quote": "31 MPa"}, id="grade-pair-is-a-name"),
    case("Above 28 dB the modem moves to 16-QAM.", {"quote": "28 dB"}, id="number-acronym-scheme-is-a-name"),
    case("The plant adds 500-MW units.", {"value": 500, "unit": "MW"}, id="capital-unit-after-hyphen-stays-a-unit"),
    case("Analogue compound 12b was active at 80 nM.", {"quote": "80 nM"}, id="compound-label-is-no-count"),
    # a measure's symbol written right before its value is no name
    case("The buffer (pH 8.1) held 20 mM HEPES.", {"quote": "8.1", "unit": ""}, {"unit": "mM"}, id="ph-value"),
    case("An Mw 7.1 event struck at 10 km depth after the ML 5.2 foreshock.", {"quote": "7.1"}, {"unit": "km"},
         {"quote": "5.2"}, id="earthquake-magnitudes"),
    case("A 40× objective (NA 0.95) was used.", {"unit": "times"}, {"quote": "0.95", "unit": ""},
         id="numerical-aperture"),
    case("Pores 2 to 5 nm wide formed, and Needles 40–80 μm long grew.", {"value": 2, "value_max": 5, "unit": "nm"},
         {"value": 40, "value_max": 80, "unit": "µm"}, id="range-with-a-unit-after-a-capitalised-word"),
    case("White solid, mp 88–90 °C.", {"value": 88, "value_max": 90, "unit": "degC"}, id="melting-point"),
]


@pytest.mark.parametrize(("text", "published", "expected"), CASES)
def test_technical(text, published, expected):
    assert_claims(text, published, expected)


def test_tolerance_widens_the_conflict_interval():
    plain = claim_interval(5.0, None, "=", "5", "K", False)
    wide = claim_interval(5.0, None, "=", "5", "K", False, 0.5)
    assert wide.lo == pytest.approx(plain.lo - 0.5) and wide.hi == pytest.approx(plain.hi + 0.5)


def _pint_units(code: str):
    return registry().parse_units(pint_expression(code))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(s for s, code in SYMBOL_UNITS.items() if code not in ("%", "‰"))), st.sampled_from(["", "−1", "2", "−2", "3"]),
       st.sampled_from(["", " s−1", "/kg", "·h", " m−2"]))
def test_every_symbol_unit_code_round_trips_through_pint(symbol, exponent, tail):
    text = f"7 {symbol}{exponent}{tail}."
    code, end, _ = read_symbols(text, 1, len(text), SYMBOL_UNITS, TECHNICAL)
    if not code:
        return
    written = text[2:end].replace("−", "-").replace("·", "*")
    surface = registry().parse_units(_pint_surface(written))
    assert _pint_units(code) == surface


def _pint_surface(written: str) -> str:
    """The written unit as pint reads it: exponents glued after a symbol, products by space."""
    import re

    out = re.sub(r"(?<=[^\s\d/*-])(-?\d)", r"**\1", written)
    for surface, code in sorted(SYMBOL_UNITS.items(), key=lambda kv: -len(kv[0])):
        out = re.sub(rf"(?<![\w%‰°Å]){re.escape(surface)}(?![\w%])", f"({pint_expression(code)})", out)
    return out.replace(" ", "*").replace(")(", ")*(")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 .,−-±×^eKmsgµμWhVAlkn/·()%°Å", max_size=40))
def test_units_of_any_technical_text_parse_with_pint(text):
    for claim in extract_claims(f"Samples were cooled to {text}"):
        assert text.startswith("") and claim.quote == f"Samples were cooled to {text}"[claim.start:claim.end]
        if claim.unit and claim.unit not in ("ratio", "times", "%", "pp", "bp", "rank", "point"):
            _pint_units(claim.unit)


def test_unit_tables_cache_follows_the_symbol_table_source(tmp_path, monkeypatch):
    from pathlib import Path

    from claimtrack.extract import symbols, tablecache, units

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    edited = tmp_path / "symbols.py"
    edited.write_bytes(Path(symbols.__file__).read_bytes() + b"\n# one more line\n")
    assert (tablecache.cache_file("units", (Path(units.__file__), edited), ("pint",))
            != units._TABLES.file())


def test_unit_tables_read_in_the_same_order_whatever_the_build_order(tmp_path, monkeypatch):
    from claimtrack.extract import units

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = units._build_tables()
    monkeypatch.setattr(units._TABLES, "_connection", None)  # opened at import, on the real cache
    monkeypatch.setattr(units, "_build_tables", lambda: tuple(dict(reversed(list(t.items()))) for t in built))
    read = units.load_tables()
    assert [list(t) for t in read] == [sorted(t) for t in built]
