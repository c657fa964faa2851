import pytest

from samizdat.support.money import AmountError, format_money, major_string, parse_amount


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("5", "USD", 500), ("12.50", "EUR", 1250), ("12,5", "EUR", 1250), (" 10 ", "GBP", 1000),
     ("500", "JPY", 500), ("1.234", "KWD", 1234)],
)
def test_reader_amount_becomes_minor_units(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [("", "USD", "Enter an amount"), ("abc", "USD", "as a number"), ("-5", "USD", "negative"),
     ("5.555", "USD", "decimal places"), ("1e3", "USD", "as a number"), ("0", "USD", "more than"),
     ("5.5", "JPY", "whole number"), ("1,000.00", "USD", "as a number"), ("٥", "USD", "number"),
     ("5", "XXQ", "Unknown currency"), ("NaN", "USD", "number"), ("Infinity", "USD", "number")],
)
def test_bad_amount_is_refused_with_a_clear_message(text, currency, message):
    with pytest.raises(AmountError) as excinfo:
        parse_amount(text, currency)
    assert message in str(excinfo.value.message)


def test_money_is_formatted_per_language():
    assert format_money(500, "USD", "en") == "$5.00"
    assert "5,00" in format_money(500, "EUR", "ru") and "€" in format_money(500, "EUR", "ru")
    assert major_string(1250, "USD") == "12.50"
    assert major_string(1000, "USD") == "10"


@pytest.mark.parametrize(
    ("text", "locale", "minor"),
    [("1,000", "en", 100000), ("1,000.50", "en", 100050), ("12,50", "en", 1250),
     ("1 000", "ru", 100000), ("1\u00a0000,50", "ru", 100050), ("12,5", "ru", 1250),
     ("12.50", "ru", 1250)],
)
def test_reader_amount_is_read_in_the_pages_language(text, locale, minor):
    assert parse_amount(text, "USD", locale=locale) == minor


@pytest.mark.parametrize(
    ("text", "locale", "message"),
    [("1,000", "ru", "decimal places"), ("1e3", "en", "as a number"),
     ("1,2,3", "en", "as a number"), ("NaN", "en", "number"), ("-1,000", "en", "negative"),
     ("5.555", "en", "decimal places"), ("1,000.5.5", "en", "as a number")],
)
def test_real_errors_are_still_refused_in_either_language(text, locale, message):
    with pytest.raises(AmountError) as excinfo:
        parse_amount(text, "USD", locale=locale)
    assert message in str(excinfo.value.message)
