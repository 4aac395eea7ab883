"""Personal-data redaction (prevent_assistant/redaction.py), on messages written the way people type them:
parents and teachers describing someone, people describing themselves, in lower case, with typos and
run-on sentences. Also what must never change (the assistant's own words), odd input, and speed."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from prevent_assistant import redaction
from prevent_assistant.redaction import FAILED, redact

# (message, exactly what is stored)
EXACT = [
    # --- names, by context ---
    ("my name is sarah khan and my son Tom is 15", "my name is [name] and my son [name] is 15"),
    ("Hi my name is Sarah", "Hi my name is [name]"),
    ("MY NAME IS SARAH KHAN", "MY NAME IS [name]"),
    ("my names jake smith im 17 and worried about a mate", "my names [name] im 17 and worried about a mate"),
    ("My name's Tom O'Brien and my son's name is Alfie", "My name's [name] and my son's name is [name]"),
    ("hi im called jo, is this anonymous?", "hi im called [name], is this anonymous?"),
    ("I’m called Precious", "I’m called [name]"),
    ("my name is: zainab", "my name is: [name]"),
    ("my daughter Aisha has been talking to men online", "my daughter [name] has been talking to men online"),
    ("im worried about my daughter aisha she's 14", "im worried about my daughter [name] she's 14"),
    ("my son ahmed khan has been radicalised i think", "my son [name] has been radicalised i think"),
    ("my brother Tom keeps sharing far right memes", "my brother [name] keeps sharing far right memes"),
    ("our neighbour Gary Smith is saying weird stuff", "our neighbour [name] is saying weird stuff"),
    ("my friend Jake is into conspiracy stuff", "my friend [name] is into conspiracy stuff"),
    ("my friend jake keeps sending me videos", "my friend [name] keeps sending me videos"),
    ("My nephew Jamie-Lee is 16", "My nephew [name] is 16"),
    ("my son, Kacper, wont talk to me", "my son, [name], wont talk to me"),
    (
        "my son Will is 15 and a girl called May is his friend",
        "my son [name] is 15 and a girl called [name] is his friend",
    ),
    ("my wife Grace and my son Mark are scared", "my wife [name] and my son [name] are scared"),
    ("a pupil called adam in my form said it", "a pupil called [name] in my form said it"),
    ("A boy named Kai in my class", "A boy named [name] in my class"),
    ("he's called liam btw", "he's called [name] btw"),
    ("online he goes by jay and hes 16", "online he goes by [name] and hes 16"),
    ("her name is Fatima Begum", "her name is [name]"),
    ("Mr Smith the head says I should ring you", "Mr [name] the head says I should ring you"),
    ("mrs khan told me to ask here", "mrs [name] told me to ask here"),
    ("dr. patel referred him", "dr. [name] referred him"),
    ("mr john smith said it was fine", "mr [name] said it was fine"),
    ("Miss Jones is his form tutor", "Miss [name] is his form tutor"),
    ("MY SON TOM IS 15", "MY SON [name] IS 15"),
    ("my ex Dan is posting far right stuff", "my ex [name] is posting far right stuff"),
    (
        "my daughter's boyfriend Callum is 19 and she's 14",
        "my daughter's boyfriend [name] is 19 and she's 14",
    ),
    (
        "i teach a girl named zara who said some worrying things",
        "i teach a girl named [name] who said some worrying things",
    ),
    ("my teacher Mr Hughes reported it", "my teacher Mr [name] reported it"),
    # --- names from the lexicon, capitalised ---
    ("Mohammed has been going to the mosque more", "[name] has been going to the mosque more"),
    ("Sarah-Jane McDonald is my daughter", "[name] is my daughter"),
    ("Im Sarah, is this confidential", "Im [name], is this confidential"),
    ("Tom's mum called me about it", "[name]'s mum called me about it"),
    ("i think Priya Sharma in year 10 is being groomed", "i think [name] in year 10 is being groomed"),
    # --- phone numbers ---
    ("call me on 07700 900123", "call me on [phone]"),
    ("my number is 07700900123 ring after 6", "my number is [phone] ring after 6"),
    ("+44 7700 900123 is my mobile", "[phone] is my mobile"),
    ("text 0044 7700 900123", "text [phone]"),
    ("landline (0161) 496 0000 or 0161-496-0000", "landline [phone] or [phone]"),
    ("work number 020 7946 0000 ext 12", "work number [phone] ext 12"),
    ("can I call you on +44 (0)20 7946 0000?", "can I call you on [phone]?"),
    ("my cousin in the US is +1 415 555 2671", "my cousin in the US is [phone]"),
    ("call 0800 011 3764 07700 900123", "call 0800 011 3764 [phone]"),
    ("0161 101 2345", "[phone]"),
    # --- emails ---
    ("email me sarah.khan@gmail.com please", "email me [email] please"),
    ("my email is sarah_k@hotmail.co.uk!!", "my email is [email]!!"),
    ("J.Smith+prevent@school.sch.uk is the safeguarding lead", "[email] is the safeguarding lead"),
    # --- postcodes ---
    ("we're in SW1A 1AA", "we're in [postcode]"),
    ("postcode sw1a1aa", "postcode [postcode]"),
    (
        "M1 1AE, B33 8TH, CR2 6XH, DN55 1PT, EC1A 1BB",
        "[postcode], [postcode], [postcode], [postcode], [postcode]",
    ),
    ("its near m1 1ae i think", "its near [postcode] i think"),
    # --- addresses ---
    ("he lives at 12 Acacia Avenue", "he lives at [address]"),
    ("221b Baker Street", "[address]"),
    ("flat 3, 45 High St, Leeds LS1 4AB", "[address], Leeds [postcode]"),
    ("my nephew lives at 7 church lane", "my nephew lives at [address]"),
    ("she was at flat 2, 14 Park Road", "she was at [address]"),
    ("9 St Mary's Road and 7 Church Close", "[address] and [address]"),
    ("we live at 221B BAKER STREET", "we live at [address]"),
    # --- dates ---
    ("his DOB is 03/05/2010", "his DOB is [date]"),
    ("dob 3-5-08", "dob [date]"),
    ("DOB 1.2.2010", "DOB [date]"),
    ("she was born on 3rd May 2008", "she was born on [date]"),
    ("born May 3 2008", "born [date]"),
    ("he was born on the 12th of January 2009 in Bradford", "he was born on the [date] in Bradford"),
    ("Date of birth: 12 January 2009", "Date of birth: [date]"),
    ("birthday is March 14th", "birthday is [date]"),
    ("it happened on 2024-03-05 at school", "it happened on [date] at school"),
    # --- several at once, run-on ---
    (
        "hi im a teacher and a pupil called Adam in Year 9 said something worrying his DOB is 03/05/2010 "
        "and he lives at 45 High St, can someone ring me on 07700 900123",
        "hi im a teacher and a pupil called [name] in Year 9 said something worrying his DOB is [date] "
        "and he lives at [address], can someone ring me on [phone]",
    ),
    (
        "my name is sarah my son Tom is 15 hes been watching videos from a group called "
        "Patriotic Alternative we live at 12 acacia avenue, M1 1AE email sarah.k@gmail.com",
        "my name is [name] my son [name] is 15 hes been watching videos from a group called "
        "Patriotic Alternative we live at [address], [postcode] email [email]",
    ),
]

# Must come back unchanged.
KEPT = [
    # the assistant's own messages
    "Take care. If you're ever worried about someone, the ACT Early Support Line is 0800 011 3764. "
    "If anyone is in immediate danger, call 999.",
    "You can talk to a person on the ACT Early Support Line: 0800 011 3764, 9am to 5pm every day. "
    "Textphone: 18001 101. If anyone is in immediate danger, call 999. Source: https://actearly.uk/contact/",
    "Report suspicious activity to the Anti-Terrorist Hotline on 0800 789 321 (24 hours).",
    "Channel is Prevent's support programme. Each council chairs a multi-agency Channel panel that agrees "
    "the support. It is voluntary: the person, or a parent for a child, must consent.",
    "Prevent is one of four parts of CONTEST, the UK's counter-terrorism strategy.",
    "In 2023/24, 1,314 referrals concerned the extreme right wing and 913 Islamism.",
    # the service's numbers however they are typed
    "whats the number 0800 011 3764 or is it 08000113764 or 0800-011-3764",
    "ive rang +44 800 011 3764 already",
    "should i call 101 or 999",
    "your reference is PRV-7K3Q",
    "does MI5 get told? is it the same as ACT Early?",
    # faiths, ideologies
    "is prevent just for Muslims? my friend says it only targets Islam",
    "my son is Sikh and the school referred him",
    "my neighbour is Christian and says far right stuff",
    "The Prophet Muhammad was mentioned in class, is that extremist?",
    # words that are also first names, without a name context
    "Will they arrest him?",
    "Grace period for consent?",
    "May I ask what happens next",
    "Mark my words this is spying",
    "Hope this helps someone",
    "Bill of rights says free speech",
    "my son will be 16 next month",
    # months, days, years, ages, times
    "it happened in May",
    "on Monday the school rang",
    "he was referred in 2015 and again in 2023/24",
    "he's 15 and in Year 9",
    "the line is open 9am to 5pm",
    "meeting on 14 March at 10am",
    "since 2020/21 things changed",
    # ordinary sentences that look like triggers
    "he called the police and called me names",
    "I called childline and called social services",
    "its called freedom of speech look it up",
    "he was named after his grandad",
    "is that what is known as grooming",
    "i miss him so much",
    "It's a 10 minute walk from school",
    "he lives 2 miles down the road",
    "they've had 3 children near Hill Road",
    "my son",
    "the Child Protection team and Student Services said no",
    "my son keeps quoting Andrew Tate and Tommy Robinson",
    "we moved from Georgia last year",
    "Charlie Hebdo was in the news",
    "we went to a flat 5 minutes away",
    "https://actearly.uk/contact/ and www.gov.uk/prevent",
]

# (message, must be gone, must stay)
GONE = [
    (
        "Zainab Hussain, 12 Acacia Avenue, sw1a 1aa, 07700 900123",
        ["Zainab", "Hussain", "Acacia", "1AA", "900123"],
        [],
    ),
    ("my daughter Aisha said Channel was like prison", ["Aisha"], ["Channel", "prison"]),
    ("our neighbour Gary Smith shouts about Muslims", ["Gary", "Smith"], ["Muslims", "our neighbour"]),
    ("my son Will, 15, goes to the mosque on Fridays", ["Will"], ["15", "mosque"]),
    ("ring me not the 0800 011 3764 number, im on 07700 900 123", ["900 123"], ["0800 011 3764"]),
    ("he was born 03/05/2008 and turned 15 in 2023", ["03/05/2008"], ["15", "2023"]),
    ("my name is محمد and my son is 12", ["محمد"], ["my son is 12"]),
    ("<p>My name is Sarah</p><br>", ["Sarah"], ["<p>", "</p><br>"]),
]

ALL_MESSAGES = [text for text, _ in EXACT] + KEPT + [text for text, _, _ in GONE]


@pytest.mark.parametrize(("text", "expected"), EXACT)
def test_personal_data_is_replaced_by_placeholders(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_not_personal_data_is_kept(text):
    assert redact(text) == text


@pytest.mark.parametrize(("text", "gone", "kept"), GONE)
def test_specific_parts_go_and_stay(text, gone, kept):
    redacted = redact(text)
    for part in gone:
        assert part.lower() not in redacted.lower()
    for part in kept:
        assert part in redacted


def test_every_response_of_the_assistant_is_unchanged(responses):
    texts = [v["text"] for variations in responses.values() for v in variations if "text" in v]
    assert any("0800 011 3764" in text for text in texts)
    assert [redact(text) for text in texts] == texts


@pytest.mark.parametrize("text", ALL_MESSAGES)
def test_redacting_twice_changes_nothing(text):
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\t  \n",
        "😭😭😭",
        "💔 my son 😢 help",
        "مرا نام علی است",  # Persian/Urdu-style script, no trigger
        "ہمارا بیٹا احمد بہت پریشان ہے",
        "你好，我的儿子",
        "<script>alert('x')</script>",
        "&lt;b&gt; &amp; &nbsp;",
        "[name] [phone] [email] [postcode] [address] [date]",
        "]]][[[ ((( ))) ---- //// ....",
        "\x00\x01\ufeff\u200b",
        "0" * 40,
    ],
)
def test_odd_input_never_raises_and_keeps_what_is_not_personal(text):
    result = redact(text)
    assert isinstance(result, str)
    if "0000" not in text:
        assert result == text


def test_a_long_message_is_redacted_throughout():
    chunk = "my son Tom is worried, call 07700 900123, we live at 12 Acacia Avenue. "
    text = (chunk * 80)[:5000]
    redacted = redact(text)
    assert "Tom" not in redacted and "900123" not in redacted and "Acacia" not in redacted
    assert redacted.count("[phone]") == text.count("07700 900123")


def test_non_text_input_gives_an_empty_string():
    assert redact(None) == ""  # type: ignore[arg-type]


def test_a_failure_withholds_the_message_and_logs_no_personal_data(monkeypatch, caplog):
    def broken():
        raise ValueError("Sarah Khan 07700 900123")

    monkeypatch.setattr(redaction, "_rules", broken)
    with caplog.at_level(logging.ERROR, logger="prevent_assistant.redaction"):
        assert redact("my name is Sarah Khan, 07700 900123") == FAILED
    assert "ValueError" in caplog.text
    assert "Sarah" not in caplog.text and "900123" not in caplog.text


def test_word_lists_are_well_formed():
    data = yaml.safe_load((ROOT / "nlp" / "redaction.yml").read_text(encoding="utf-8"))
    names = data["names"]
    assert len(names["first_names"]) >= 200
    assert all(n[:1].isupper() for n in names["first_names"]), "first names are matched as written"
    assert not set(names["first_names"]) & set(names["needs_context"])
    assert {"Will", "May", "Grace", "Mark", "Bill", "Rose", "Hope"} <= set(names["needs_context"])
    assert {"0800 011 3764", "999", "101"} <= set(data["allow_list"]["numbers"])
    assert {"Channel", "Prevent"} <= set(data["allow_list"]["phrases"])


def test_importing_the_module_does_not_load_spacy():
    code = "import sys, prevent_assistant.redaction; print('spacy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False"
