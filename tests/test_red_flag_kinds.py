"""Red flags by kind (docs/red-flags.md, "Misses and false alarms by kind"): for each word family
or sentence shape that new writers use, a red flag that must be found and an ordinary neighbour
that must not. These phrasings are the development half of the kinds round; the held-out half
is tests/data/red-flags-kinds-heldout.nl.tsv (read once, never tuned on)."""

from __future__ import annotations

import pytest

from kiosk.core.safety import RedFlag

RED_FLAGS = {
    # the joint named as a compound: left or right, "kniegewricht"
    "joint compounds": [
        ("mijn rechterknie is opeens warm", "heet-gewricht"),
        ("mijn linkerheup is rood en dik", "heet-gewricht"),
        ("sinds gisteravond is mijn kniegewricht gloeiend heet", "heet-gewricht"),
    ],
    # swelling, heat and redness in other words (also Flemish)
    "swelling and heat words": [
        ("mijn knie is sinds gisteravond helemaal opgezet", "heet-gewricht"),
        ("mijn knie is gezwollen en hij gloeit", "heet-gewricht"),
        ("ik heb een warme dikke knie", "heet-gewricht"),
        ("ineens is mijn knie dubbel zo dik", "heet-gewricht"),
        ("mijn knie is zo dik als een voetbal sinds vanmorgen", "heet-gewricht"),
        ("plots dik en vuurrood", "heet-gewricht"),  # an answer with no joint named
        ("mijn knie is in eens opgezet", "heet-gewricht"),
        ("ik heb water op de knie en hij is warm", "heet-gewricht"),
    ],
    # fever without the word "koorts"
    "fever words": [
        ("ik heb koude rillingen en mijn heup doet zeer", "koorts"),
        ("mijn knie is opgezet en ik voel me koortsig", "koorts"),
        ("ik zweet en ik ril en mijn knie doet zeer", "koorts"),
        ("ik heb temperatuur en mijn knie doet pijn", "koorts"),
        ("ik voel me grieperig en mijn knie is dik", "koorts"),
        ("ik voel me heel ziek en mijn knie is dik", "koorts"),
        ("ik heb verhoogde temperatuur sinds gisteren", "koorts"),
        ("ik heb vroeger vaak koorts gehad maar nu heb ik weer koorts en mijn knie doet zeer", "koorts"),
    ],
    # falls in other words, a knock, a fall from a height, the Flemish "door mijn been gezakt"
    "fall words": [
        ("ik ben onderuit gegaan in de badkamer en mijn heup doet zeer", "val"),
        ("ik ben uitgeschoven op de natte vloer en mijn heup doet pijn", "val"),
        ("ik heb een smak gemaakt en mijn heup doet vreselijk zeer", "val"),
        ("ik ben door mijn been gezakt en ik lig op de grond", "val"),
        ("ik ben van de ladder gevallen", "val"),
        ("mijn man is van de trap gevallen", "val"),
        ("ik heb een doffe klap op mijn knie gekregen en nu is hij dik", "val"),
        ("ik ben gisteren onderuit gegaan op het ijs", "val"),
        ("mijn vrouw ligt op de grond en kan niet meer recht", "val"),
        ("ik kan niet meer recht geraken sinds ik gevallen ben", "val"),
    ],
    # after an operation: the operation and wound words, a clot
    "operation and wound words": [
        ("de wonde van mijn nieuwe heup lekt", "na-operatie"),
        ("er komt vocht uit de wonde", "na-operatie"),
        ("er sijpelt vocht uit mijn wondje", "na-operatie"),
        ("er komt pus uit het litteken van mijn prothese", "na-operatie"),
        ("de wond van de kijkoperatie ettert", "na-operatie"),
        ("mijn kuit is dik en doet pijn sinds de ingreep", "na-operatie"),
        ("ik ben drie weken geleden geopereerd en mijn onderbeen is opgezwollen", "na-operatie"),
        ("ik ben bang dat ik trombose heb in mijn kuit", "na-operatie"),
        ("na mijn nieuwe heup heb ik koorts gekregen", "na-operatie"),
        ("sinds de knievervanging is mijn knie heet", "na-operatie"),
        ("mijn onderbeen is rood en gezwollen na de heupoperatie", "na-operatie"),
        ("mijn kuit is zo hard als een steen sinds de operatie", "na-operatie"),
    ],
    # one word that is two red-flag words ("kniepijn": a joint and pain); a feared break
    "compounds and breaks": [
        ("mijn kleinzoon heeft koorts en ik heb kniepijn", "koorts"),
        ("mijn knie is roodgloeiend", "heet-gewricht"),
        ("ik denk dat mijn heup gebroken is", "val"),
        ("na mijn valpartij doet mijn heup veel pijn", "val"),
        ("ik ben gevallen en heb mijn pols gebroken en mijn heup doet pijn", "val"),
    ],
    # sentence shape: the joint named far before the sign, with a clause between
    "joint far from the sign": [
        ("mijn knie waar ik al heel lang last van heb door de artrose voelt nu heel warm aan",
         "heet-gewricht"),
        ("mijn linkerknie waar ik vorig jaar al eens voor bij de fysio was die is nu helemaal rood",
         "heet-gewricht"),
        ("mijn man gloeit van de koorts en klaagt over zijn heup", "koorts"),  # the fever's heat
    ],
    # a wound that does not heal, an infection named as such
    "wound and infection": [
        ("de wond van mijn nieuwe knie ziet er niet goed uit", "na-operatie"),
        ("de wond gaat maar niet dicht", "na-operatie"),
        ("ik heb een infectie in mijn knie denk ik", "heet-gewricht"),
    ],
    # time words for a sudden start (also Flemish "gisterenavond", "sedert")
    "time words": [
        ("sinds gisterenavond is mijn knie opgezet", "heet-gewricht"),
        ("ik ben gisterenavond gevallen", "val"),
        ("sedert gisteren is mijn knie warm", "heet-gewricht"),
        ("deze nacht is mijn knie ineens opgezwollen", "heet-gewricht"),
    ],
    # cannot stand, in other words
    "cannot stand": [
        ("ik kan mijn been niet meer belasten", "niet-staan"),
        ("ik kan niet steunen op mijn linkerbeen", "niet-staan"),
        ("ik kan sinds vanmorgen niet meer op mijn benen staan", "niet-staan"),
        ("ik ben van het trapje gegleden en ik geraak niet meer recht", "val"),
    ],
    # fifth blind reading (docs/red-flags.md): legs that do not carry, the leg as subject
    "legs that do not carry": [
        ("mijn linkerbeen draagt me niet sinds gisteravond", "niet-staan"),
        ("vanmiddag wilden mijn benen ineens niet meer", "niet-staan"),
        ("mijn been droeg mij niet toen ik uit de auto stapte", "niet-staan"),
        ("plots zakte mijn knie onder me weg en ik sta niet meer op", "niet-staan"),
        ("ik geraak sinds vanmorgen mijn bed niet meer uit door mijn heup", "niet-staan"),
        ("ik kan vandaag niet uit mijn bed komen van de pijn", "niet-staan"),
        ("ik ben gisteren op de stoep gesmakt en sindsdien loop ik niet meer", "val"),
    ],
    "hot joint in other words": [
        ("mijn knie glimt helemaal en voelt gespannen aan", "heet-gewricht"),
        ("het bonkt in mijn heup en de huid is strak", "heet-gewricht"),
        ("rood en dik", "heet-gewricht"),  # a bare answer in the step test
        ("ja hij is gezwollen en rood", "heet-gewricht"),
        # a negation takes away only the sign it governs
        ("geen koorts maar wel een knie die opeens rood is", "heet-gewricht"),
        ("nee geen val mijn heup is vanochtend plots dik geworden", "heet-gewricht"),
        ("geen koorts gehad en mijn knie is sinds gisteren vuurrood", "heet-gewricht"),
    ],
    "very ill or night sweats": [
        ("ik voel me echt doodziek en mijn knie doet zo een pijn", "koorts"),
        ("ik ben al twee dagen hondsberoerd en mijn heup doet vreselijk zeer", "koorts"),
        ("s nachts lig ik te zweten en mijn knie is heel pijnlijk", "koorts"),
        ("ik heb nachtzweten en pijn in mijn heup", "koorts"),
    ],
    "operation scar and dislocation": [
        ("uit mijn knielitteken komt wat geel vocht", "na-operatie"),
        ("het operatielitteken is rood en warm", "na-operatie"),
        ("mijn knie is vorige maand vervangen en nu schoot hij uit de kom", "na-operatie"),
        ("ik denk dat mijn nieuwe heup ontwricht is na het bukken", "na-operatie"),
    ],
}

ORDINARY = {
    "joint compounds": ["mijn rechterknie is stijf als ik lang zit", "mijn linkerheup kraakt"],
    "swelling and heat words": [
        "mijn knie zwelt een beetje op na lang fietsen",
        "mijn knie is een beetje gezwollen na de wandeling",
        "moet ik mijn knie koelen of warm houden",
        "kan ik een warm bad nemen met artrose",
        "ik heb een dikke buik en mijn knie doet pijn",
    ],
    "fever words": [
        "ik ben moe en mijn knie doet pijn",
        "ik heb het vaak koud aan mijn voeten",
        "ik heb de griep gehad maar dat is voorbij en nu doet mijn knie pijn",
        "ik word ziek van die pijn in mijn knie",
        "mijn man had vorige winter hoge koorts",  # fever alone, long ago
    ],
    "fall words": [
        "ik ben bang om te vallen",
        "hoe voorkom ik dat ik val",
        "ik ben vorig jaar gevallen maar dat is helemaal genezen",
        "mijn kleinzoon is gevallen met de fiets maar hij heeft niks",
        "mijn knie zakt soms door maar ik val niet",
        "ik zit graag op de grond bij de kleinkinderen maar mijn knie protesteert",
        "ik loop moeilijk de trap op door mijn knie",
        "ik ben vorige maand van de fiets gevallen maar er was niks aan de hand",
    ],
    "operation and wound words": [
        "ik heb vorig jaar een nieuwe heup gekregen en dat gaat heel goed",
        "ik word binnenkort geopereerd aan mijn knie",
        "wanneer moet ik een prothese nemen",
        "ik heb een wondje aan mijn vinger",
        "mijn litteken van vroeger jeukt een beetje",
        "ik heb last van mijn kuit na het fietsen",
        "ik heb vroeger trombose gehad",
    ],
    "compounds and breaks": [
        "ik heb een kniewarmer gekocht",
        "ik heb vroeger mijn heup gebroken",
        "ik heb mijn pols gebroken vorig jaar",
        "mijn arm is gebroken geweest en hij is nog altijd stijf",
        "mijn kleinzoon heeft koorts",
    ],
    "joint far from the sign": [
        "als het warm weer is en ik lekker in de tuin zit heb ik veel minder last van mijn knie",
        "mijn knie waar ik al heel lang last van heb voelt vandaag wat stijf aan",
    ],
    "wound and infection": [
        "de wond ziet er goed uit",
        "kan je van artrose een infectie in je knie krijgen",
        "ik heb een blaasontsteking en mijn knie doet pijn",
    ],
    "time words": [
        "mijn knie is deze ochtend wat stijf",
        "ik heb vanavond nog fysio",
        "ik ben vanavond niet gevallen",
    ],
    "cannot stand": [
        "ik kan moeilijk opstaan uit een lage stoel",
        "ik kan niet meer zo goed hurken",
        "ik loop niet meer zo ver als vroeger",
    ],
    "legs that do not carry": [
        "mijn knie zakt soms wat weg op de trap",
        "mijn benen dragen me niet meer zo ver als vroeger",
        "ik kom s morgens moeilijk uit bed",
        "ik kom niet meer zo makkelijk uit bed",
        "mijn knie doet vandaag niet zo veel pijn als gisteren",
        "na een dag schilderen kan ik s anderendaags nauwelijks uit mijn bed",
        "ik loop niet meer zo lang met de hond sinds mijn knie opspeelt",
    ],
    "hot joint in other words": [
        "klopt het dat je met artrose mag fietsen",
        "mijn knie is niet rood en ook niet dik alleen stijf",
        "ik heb geen koorts en geen rode knie",
        "ik heb rode wangen van de kou en mijn heup is stijf",
        "na het fietsen voelt mijn knie soms warm aan",
        "na de oefeningen is mijn knie wat warm maar een uurtje later is dat al weg",
    ],
    "very ill or night sweats": [
        "ik word ziek van die pijn in mijn heup",
        "ik ben het zo beu dat mijn knie altijd zeer doet",
        "ik zweet veel als ik de trap op loop en mijn knie doet pijn",
    ],
    "operation scar and dislocation": [
        "mijn operatielitteken is mooi genezen",
        "moet mijn heup vervangen worden",
        "mijn knieschijf schiet soms een beetje heen en weer maar niet uit de kom",
    ],
    "past events as history": [
        "vorig jaar had ik een tijd koorts maar dat is allemaal over en mijn knie is zoals altijd",
        "drie jaar geleden was mijn knie warm en dik maar dat ging allemaal over",
        "mijn moeder viel vaak toen ze oud was en nu ben ik bang voor mijn eigen heup",
        "mijn broer moest na zijn val geopereerd worden maar ik kom voor mijn eigen knie",
        "afgelopen zomer ben ik eens gevallen met de fiets en had ik een blauwe knie",
    ],
}

#: Decisions left for a clinician (docs/red-flags.md, fifth blind reading): these still alarm,
#: on purpose, until a physiotherapist says otherwise.
STILL_ALARM = [
    ("mijn man is vanmorgen over de stoeprand gestruikeld maar hij liep daarna gewoon door", "val"),
    ("drie weken na mijn nieuwe knie is hij nog wat warm maar de orthopeed zegt dat dat hoort",
     "na-operatie"),
    # a negation must not take away a later, separate sign
    ("ik ben niet gevallen maar mijn knie is opeens dik en heet", "heet-gewricht"),
    # someone else's fall, but with the visitor's own sudden sign, still counts
    ("mijn zus viel vorige week maar ik kom voor mijn eigen knie die sinds vannacht gloeit",
     "heet-gewricht"),
    # "helemaal over" said of a place, not of a fever or warmth that is over
    ("ik heb koorts en rillingen helemaal over mijn lijf", "koorts"),
    ("de roodheid trekt helemaal over mijn knie", "heet-gewricht"),
    # a past episode, but warm and swollen again now
    ("twee jaar geleden was mijn knie ook warm en dik en dat ging over maar nu is hij weer zo sinds gisteren",
     "heet-gewricht"),
]


@pytest.mark.parametrize("kind, heard, group", [
    (kind, heard, group) for kind, cases in RED_FLAGS.items() for heard, group in cases])
def test_a_red_flag_of_each_kind_is_found(flags, kind, heard, group):
    found = flags.detect(heard)
    assert isinstance(found, RedFlag) and found.group == group, (kind, flags.why(heard))


@pytest.mark.parametrize("kind, heard", [
    (kind, heard) for kind, cases in ORDINARY.items() for heard in cases])
def test_its_ordinary_neighbour_is_not(flags, kind, heard):
    assert flags.detect(heard) is None, (kind, flags.why(heard))


@pytest.mark.parametrize("heard, group", STILL_ALARM)
def test_a_decision_left_to_a_clinician_keeps_the_alarm(flags, heard, group):
    found = flags.detect(heard)
    assert isinstance(found, RedFlag) and found.group == group, flags.why(heard)
