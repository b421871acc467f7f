"""Fictional outlets and articles of the demo news site, as typed data (no real outlet, person or event)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

FeedFormat = Literal["rss", "atom", "broken"]
Style = Literal["herald", "valley", "metro", "courier", "wire", "gazette", "post"]
# article: a normal story in a feed; video: a feed item whose page has no article text;
# private: a feed item under a robots-disallowed path; unlisted: a page no feed links to.
Kind = Literal["article", "video", "private", "unlisted"]

WIRE_OUTLET = "civic-wire"
WIRE_NAME = "Civic Wire"


@dataclass(frozen=True)
class Outlet:
    """One fictional news site."""

    id: str
    name: str
    city: str
    tagline: str
    style: Style
    feed_format: FeedFormat
    disallow: str | None = None  # a folder under the outlet that robots.txt disallows, e.g. "private"


@dataclass(frozen=True)
class Article:
    """One page of the demo site. `copy_of` is the slug of the Civic Wire original for republished copy."""

    outlet: str
    slug: str
    title: str
    author: str
    published: datetime
    summary: str
    paragraphs: tuple[str, ...]
    story: str | None = None
    kind: Kind = "article"
    section: str = "News"
    copy_of: str | None = None


@dataclass(frozen=True)
class WireCopy:
    """An outlet republishing a Civic Wire story: new headline, dateline prefix, small edits."""

    outlet: str
    slug: str
    original: str  # slug of the Civic Wire article
    title: str
    summary: str
    delay: timedelta
    dateline: str
    trim_last_paragraph: bool = False
    credit: str | None = None


def _t(day: int, hour: int, minute: int) -> datetime:
    """A publication time in March 2026, UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _body(text: str) -> tuple[str, ...]:
    """Paragraphs separated by blank lines; line breaks and runs of spaces inside a paragraph collapse."""
    return tuple(" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()) if block.strip())


OUTLETS: tuple[Outlet, ...] = (
    Outlet(
        id="harbour-herald",
        name="The Harbour Herald",
        city="Port Aldwyn",
        tagline="News from Port Aldwyn and the coast since 1902",
        style="herald",
        feed_format="rss",
        disallow="private",
    ),
    Outlet(
        id="valley-times",
        name="The Valley Times",
        city="Brackenford",
        tagline="Serving Brackenford and the Wend and Ashby valleys",
        style="valley",
        feed_format="rss",
    ),
    Outlet(
        id="metro-ledger",
        name="Metro Ledger",
        city="Kestrel City",
        tagline="Kestrel City news, transport, business and sport",
        style="metro",
        feed_format="atom",
    ),
    Outlet(
        id="northern-courier",
        name="Northern Courier",
        city="Thornbury",
        tagline="Independent news for Thornbury and the north",
        style="courier",
        feed_format="rss",
    ),
    Outlet(
        id=WIRE_OUTLET,
        name=WIRE_NAME,
        city="Kestrel City",
        tagline="The regional news agency for Wendmoor",
        style="wire",
        feed_format="rss",
    ),
    Outlet(
        id="eastbank-gazette",
        name="Eastbank Gazette",
        city="Kestrel City",
        tagline="Community news for Eastbank, Ropewalk and the east side",
        style="gazette",
        feed_format="rss",
    ),
    Outlet(
        id="lakeside-post",
        name="The Lakeside Post",
        city="Merrow",
        tagline="Merrow and the shores of Merrow Water",
        style="post",
        feed_format="broken",
    ),
)

BRIDGE = "demo-bridge-collapse"
FIRE_TANNER = "demo-warehouse-fire-tanner-street"
FIRE_QUARRY = "demo-warehouse-fire-quarry-road"
BUDGET = "demo-council-budget"
STRIKE = "demo-port-strike"
STORM = "demo-storm-flooding"
HOSPITAL = "demo-hospital-opening"
CUP = "demo-cup-final"
WIND = "demo-wind-farm"

_BRIDGE: tuple[Article, ...] = (
    Article(
        outlet=WIRE_OUTLET,
        slug="footbridge-span-collapses-in-brackenford-three-injured",
        title="Footbridge span collapses in Brackenford, three people injured",
        author="Rhiannon Cole",
        published=_t(3, 9, 5),
        summary="The central span of the Millrace Footbridge fell into the River Wend at rush hour.",
        story=BRIDGE,
        paragraphs=_body(
            """
A section of the Millrace Footbridge over the River Wend in Brackenford gave way during the morning
rush hour on Tuesday, sending three pedestrians into shallow water and onto the riverbank below,
emergency services said.

The central span of the steel footbridge, which links the town's railway station to the Millrace
business park, dropped about four metres shortly before 7:45 a.m. Wendmoor Police said two of the
injured were taken to Brackenford Community Hospital with fractures and a third, a 58-year-old man,
was flown to Kestrel City Royal Infirmary with serious but not life-threatening injuries.

"It is frankly remarkable that nobody was killed," said Inspector Dana Whitfield of Wendmoor Police.
"Passers-by went into the water before our officers arrived, and their actions made a real
difference."

The bridge, built in 1968 and owned by Wendmoor Regional Council, carries roughly 3,000 people a
day. Raymond Clarke, the council's director of infrastructure, said its last principal inspection,
in September 2024, had rated the structure "fair" and recommended repainting and bearing work that
was scheduled for this summer.

"We will find out exactly what happened, and we will publish what we find," Clarke told reporters at
the scene. He said engineers would examine the remaining spans and that an independent review would
be commissioned.

Brackenford Mayor Helen Okafor said a temporary shuttle bus would run between the station and the
business park while the crossing remained closed. Train services were not affected, according to the
operator Wendmoor Rail, although the station's east entrance was shut as a precaution.
"""
        ),
    ),
    Article(
        outlet="valley-times",
        slug="millrace-bridge-collapse-commuters-shaken",
        title="'It just dropped': Millrace bridge collapse leaves Brackenford commuters shaken",
        author="Gareth Pryce",
        published=_t(3, 9, 50),
        summary="Witnesses describe the moment the bridge fell, and neighbours ask why repairs waited.",
        story=BRIDGE,
        paragraphs=_body(
            """
Lucy Tran was pulling up the shutters of her café on Station Approach when she heard what she
describes as "a long groan, then a bang like a skip being dropped". By the time she reached the
river wall, the middle of the Millrace Footbridge was lying in the water.

"It just dropped," said Ms Tran, 41, who has run the Tran Kitchen café for nine years. "There were
people on it. I saw a man holding onto the railing with the water up to his waist, and two lads from
the builders' yard were already wading out to him."

Three people were injured when the central span of the 1968 crossing collapsed at about 7:40 on
Tuesday morning. Wendmoor Police said one man was seriously hurt and had been taken to Kestrel City
Royal Infirmary by air ambulance, while two women were treated at Brackenford Community Hospital.

For many in Brackenford the bridge is part of the daily routine. It connects the railway station
with the Millrace business park, where around 2,000 people work, and on a weekday morning it is
rarely empty.

Councillor Amir Haddad, who represents Millrace ward on Wendmoor Regional Council, said residents
had complained about rust and loose handrails for years. "I raised the state of that bridge with
council officers in May last year," he said. "I was told it was safe and that work was planned.
People will want to know why it wasn't done."

The regional council, which owns the bridge, said it would not comment on individual complaints
until engineers had assessed the structure. A cordon remained in place along the river path on
Tuesday afternoon, and the station's east entrance was closed.
"""
        ),
    ),
    Article(
        outlet="harbour-herald",
        slug="brackenford-collapse-raises-questions-over-ageing-bridges",
        title="Brackenford collapse puts the region's ageing bridges under the spotlight",
        author="Priya Natarajan",
        published=_t(3, 11, 20),
        summary="Inspectors will check every steel footbridge of the same age, including two in Port Aldwyn.",
        story=BRIDGE,
        paragraphs=_body(
            """
The partial collapse of a footbridge in Brackenford on Tuesday morning has prompted calls for an
urgent review of the hundreds of older river crossings maintained by Wendmoor Regional Council,
including several in Port Aldwyn.

Three pedestrians were hurt when the central section of the Millrace Footbridge fell into the River
Wend shortly before 7:45 a.m. One man remains in hospital in Kestrel City with serious injuries.

According to the council's most recent asset report, published last October, it is responsible for
212 road and foot bridges across the region. Fourteen were rated "poor" and a further 61 "fair", the
category the Millrace crossing fell into after its last principal inspection in 2024.

Professor Alan Moyo, a structural engineer at the University of Kestrel, said it was too early to
say what caused the failure, but that steel footbridges from the late 1960s shared common
weaknesses. "Corrosion at the bearings and connections is the usual suspect, and it is often hidden
behind paint and debris," he said. "A rating of fair does not mean a bridge is about to fall down.
It does mean it needs money spent on it."

Raymond Clarke, the council's director of infrastructure, said inspectors would begin checking every
steel footbridge of similar age this week, starting with the Quayside crossing in Port Aldwyn and
the Ferndale rail footbridge.

"I understand why people are worried," Mr Clarke said. "Our priority is to make sure every other
structure is safe, and to be open about what we find."

Harbour ward councillor Joanna Fitch said she would ask for the inspection results to be published
in full at the next meeting of the council's infrastructure committee.
"""
        ),
    ),
    Article(
        outlet="metro-ledger",
        slug="millrace-footbridge-independent-inquiry-ordered",
        title="Independent inquiry ordered after Millrace footbridge failure",
        author="Jordan Blake",
        published=_t(3, 13, 5),
        summary="Council leader Moira Brennan says the council 'will not mark its own homework'.",
        story=BRIDGE,
        paragraphs=_body(
            """
Wendmoor Regional Council has ordered an independent investigation into the collapse of the Millrace
Footbridge in Brackenford, which left three people injured and disrupted journeys for thousands of
commuters travelling to and from Kestrel City.

Council leader Moira Brennan told an emergency briefing at County Hall on Tuesday afternoon that the
inquiry would be led by the engineering consultancy Halden Engineering, which has no previous
involvement with the bridge. Its findings are expected within twelve weeks.

"People have a right to cross a bridge without wondering whether it will hold them," Ms Brennan
said. "We will not mark our own homework. The investigators will have full access to our records,
and their report will be made public."

The central span of the 1968 steel bridge gave way just before 7:45 a.m., while commuters were
walking from Brackenford station to the Millrace business park. A 58-year-old man was airlifted to
Kestrel City Royal Infirmary, where a hospital spokesperson said his condition was stable on Tuesday
afternoon. Two women were treated for fractures and released.

The collapse caused knock-on problems for Kestrel City commuters. Wendmoor Rail said trains
continued to stop at Brackenford, but with the station's east entrance shut, passengers faced a
detour of almost two kilometres via the Wend Road bridge. A free shuttle bus began running from 11
a.m.

Several Metro Ledger readers who make the journey daily said they had long noticed flaking paint and
corrosion on the structure. The council said earlier inspection reports for the bridge would be
handed to the investigators and released once the review was complete.
"""
        ),
    ),
)

_FIRE_TANNER: tuple[Article, ...] = (
    Article(
        outlet="metro-ledger",
        slug="huge-blaze-destroys-tanner-street-furniture-warehouse",
        title="Huge blaze destroys furniture warehouse on Tanner Street",
        author="Chloe Adebayo",
        published=_t(5, 6, 30),
        summary="Sixty firefighters fought the overnight fire at the Calloway Logistics building.",
        story=FIRE_TANNER,
        paragraphs=_body(
            """
A large fire destroyed a furniture warehouse in the Eastbank district of Kestrel City overnight,
sending a column of black smoke across the east of the city and forcing the closure of several
roads.

Kestrel City Fire and Rescue Service was called to the Calloway Logistics building on Tanner Street
at 2:14 a.m. on Thursday. At the height of the blaze, 60 firefighters and 12 fire engines were at
the scene, along with two aerial ladder platforms.

Deputy Chief Fire Officer Miriam Osei said the building, which covers about 6,000 square metres, was
"well alight" when the first crews arrived. Part of the roof collapsed at around 4 a.m., and
firefighters were withdrawn from inside the building and fought the fire from outside.

"This was a very large and very fast-moving fire in a building full of flammable stock," Ms Osei
said. "Crews worked through the night in difficult conditions to stop it spreading to neighbouring
units, and they succeeded."

One firefighter was treated at the scene for heat exhaustion. Nobody else was hurt, and the
warehouse was empty when the fire started, according to the company.

Residents in Eastbank and Ropewalk were advised to keep windows and doors closed. Tanner Street
remains closed between Mill Lane and the Ropewalk junction, and bus routes 14 and 27 are diverted.

The cause of the fire is not yet known. A joint investigation by the fire service and Kestrel City
Police will begin once the site is safe.
"""
        ),
    ),
    Article(
        outlet="eastbank-gazette",
        slug="tanner-street-fire-neighbours-woken-by-bangs",
        title="Tanner Street fire: neighbours woken by bangs as warehouse burns",
        author="Tom Hardcastle",
        published=_t(5, 8, 10),
        summary="Cooper's Row residents describe an orange sky as the Calloway Logistics warehouse burned.",
        story=FIRE_TANNER,
        paragraphs=_body(
            """
Residents living near Tanner Street say they were woken in the early hours of Thursday by loud bangs
and the orange glow of the fire that destroyed the Calloway Logistics warehouse.

"I thought it was fireworks at first," said Derek Amankwah, 67, who lives on Cooper's Row, about 200
metres from the site. "Then I opened the curtains and the whole sky was orange. You could feel the
heat on the window."

Firefighters were called at 2:14 a.m. and spent more than five hours bringing the blaze under
control. Kestrel City Fire and Rescue Service said the bangs heard by residents were most likely gas
cylinders used by forklift trucks inside the building.

Deputy Chief Fire Officer Miriam Osei thanked neighbours for following advice to stay indoors. "The
smoke was heavy and it was drifting over homes, so keeping windows shut was the right thing to do,"
she said. "Air quality readings near the site are now returning to normal."

St Anne's Primary School on Mill Lane opened as usual, although headteacher Carol Nkemelu said
pupils would stay inside at break time as a precaution.

Eastbank ward councillor Ravi Sandhu said he had asked the council to check on elderly residents in
the flats on Cooper's Row. "People were frightened last night," he said. "Some of them have lived
here for fifty years and never seen anything like it."

Tanner Street is expected to stay closed for at least two days while the building is made safe.
"""
        ),
    ),
    Article(
        outlet="northern-courier",
        slug="firefighter-treated-after-kestrel-city-warehouse-fire",
        title="Firefighter treated after overnight warehouse fire in Kestrel City",
        author="Owen Lacey",
        published=_t(5, 10, 45),
        summary="Crews from Thornbury were put on standby as Kestrel City firefighters tackled the blaze.",
        story=FIRE_TANNER,
        paragraphs=_body(
            """
A firefighter was treated for heat exhaustion after tackling a major fire at a warehouse in Kestrel
City early on Thursday, the city's fire service has said.

The blaze broke out at the Calloway Logistics site on Tanner Street in the Eastbank area, with the
first call received at 2:14 a.m. Sixty firefighters from across the city were sent to the scene, and
crews from Thornbury were placed on standby to cover Kestrel City stations.

Kestrel City Fire and Rescue Service said the firefighter was assessed by paramedics and did not
need to go to hospital. No other injuries were reported.

Deputy Chief Fire Officer Miriam Osei said the warehouse roof had partly collapsed, which made it
too dangerous to keep crews inside. "Our firefighters did an outstanding job in very hot and
demanding conditions," she said. "We expect to be on site for much of the day damping down
hotspots."

Calloway Logistics stores and distributes furniture for retailers across Wendmoor, including several
shops in Thornbury and the northern towns. Customers were told on Thursday morning that some
deliveries might be delayed.

Drivers were warned to avoid Eastbank during the morning, with Tanner Street and parts of Mill Lane
closed. Kestrel City Police said the cause of the fire was being investigated jointly with the fire
service, and that there was nothing at this stage to suggest it was started deliberately.
"""
        ),
    ),
    Article(
        outlet="valley-times",
        slug="calloway-logistics-promises-to-pay-staff-after-fire",
        title="Calloway Logistics promises to pay staff after Tanner Street fire",
        author="Isobel Grant",
        published=_t(5, 12, 0),
        summary="The family firm, which supplies valley shops, hopes to restart deliveries in a fortnight.",
        story=FIRE_TANNER,
        paragraphs=_body(
            """
The owner of the Kestrel City furniture warehouse destroyed by fire overnight has promised that its
85 staff will continue to be paid while the company finds a new base.

Peter Calloway, managing director of Calloway Logistics, spoke to reporters outside the burnt-out
building on Tanner Street on Thursday morning, still wearing the clothes he had put on when the fire
service called him at 2:30 a.m.

"Everyone who works for us will get paid, full stop," Mr Calloway said. "The building is gone, but
the business is not. We have good people and good customers, and we will be back on our feet."

The family firm, founded by his father in 1987, delivers furniture to around 40 shops across
Wendmoor, including retailers in Brackenford and Lowmere. Several valley shop owners said they were
waiting to hear whether orders placed before the fire could still be delivered.

Mr Calloway said the company had been offered temporary space at a distribution park near the
Kestrel ring road and hoped to resume limited deliveries within a fortnight.

Kestrel City Fire and Rescue Service said the fire, which was reported at 2:14 a.m., had been
brought under control by about 7:30 a.m. Deputy Chief Fire Officer Miriam Osei said the building was
empty at the time and that one firefighter had been treated for heat exhaustion.

The cause has not been established. Mr Calloway said the warehouse had passed a fire safety
inspection in November.
"""
        ),
    ),
)

_FIRE_QUARRY: tuple[Article, ...] = (
    Article(
        outlet="metro-ledger",
        slug="two-workers-in-hospital-after-northgate-paper-warehouse-fire",
        title="Two workers in hospital after fire tears through Northgate paper warehouse",
        author="Chloe Adebayo",
        published=_t(17, 5, 50),
        summary="Crews carried two night-shift employees out of Brightwell Paper Supplies on Quarry Road.",
        story=FIRE_QUARRY,
        paragraphs=_body(
            """
Two night-shift workers were taken to hospital after a fire broke out at a paper warehouse in the
Northgate area of Kestrel City late on Monday.

Firefighters were called to Brightwell Paper Supplies on Quarry Road at 11:22 p.m. to reports of
smoke coming from the loading bay. Around 45 firefighters and nine fire engines attended, and the
fire was declared under control at about 3:40 a.m. on Tuesday.

Station Commander Luis Ferreira said eleven employees had been working in the building when the
alarm sounded. Nine got out unaided, but two were found by crews in a corridor near the offices and
carried out.

"Thick smoke had filled part of the building very quickly," Station Commander Ferreira said. "Our
crews wearing breathing apparatus located the two workers and brought them to safety within minutes
of arriving."

Both were taken to Kestrel City Royal Infirmary suffering from smoke inhalation. The hospital said
on Tuesday morning that one, a man in his thirties, was in a serious condition, while the other, a
woman, was expected to be discharged later in the day.

Smoke drifting across the nearby railway forced Wendmoor Rail to suspend services on the Northgate
line overnight. Quarry Road is closed between Foundry Lane and the Northgate roundabout.

Kestrel City Police said the fire was not being treated as suspicious at this stage.
"""
        ),
    ),
    Article(
        outlet="eastbank-gazette",
        slug="second-warehouse-blaze-in-a-fortnight-quarry-road",
        title="Second warehouse blaze in a fortnight as Quarry Road site burns",
        author="Tom Hardcastle",
        published=_t(17, 7, 40),
        summary="Twelve days after Tanner Street, crews were back in action at a Northgate paper store.",
        story=FIRE_QUARRY,
        paragraphs=_body(
            """
For the second time this month, Kestrel City firefighters have spent the night tackling a serious
fire at a warehouse, this time at Brightwell Paper Supplies on Quarry Road in Northgate.

The fire, reported at 11:22 p.m. on Monday, came twelve days after the blaze that destroyed the
Calloway Logistics warehouse on Tanner Street in Eastbank. Unlike that fire, which broke out in an
empty building, Monday's started while a night shift was at work, and two employees were taken to
hospital with smoke inhalation.

Station Commander Luis Ferreira of Kestrel City Fire and Rescue Service said there was nothing to
link the two incidents. "These are two different buildings, two different businesses and, as far as
we can tell, two very different causes," he said. "Investigators will look at each one on its own
facts."

Still, the two fires have unsettled people who live close to the city's older industrial estates.
Eastbank councillor Ravi Sandhu said he would ask the council's regulatory committee to review fire
safety checks at large storage buildings near homes.

"Two big fires in two weeks is not something anyone wants to get used to," Mr Sandhu said. "I want
to know when these places were last inspected and what was found."

Brightwell Paper Supplies, which employs around 60 people, said in a statement that its thoughts
were with the two colleagues in hospital and that it was cooperating fully with the fire service.

Quarry Road remained closed on Tuesday morning.
"""
        ),
    ),
    Article(
        outlet="harbour-herald",
        slug="night-shift-workers-rescued-from-burning-kestrel-warehouse",
        title="Night-shift workers rescued from burning Kestrel City warehouse",
        author="Declan Moore",
        published=_t(17, 10, 10),
        summary="Firefighters in breathing apparatus found the pair within minutes, the fire service said.",
        story=FIRE_QUARRY,
        paragraphs=_body(
            """
Firefighters wearing breathing apparatus pulled two unconscious workers from a smoke-filled paper
warehouse in Kestrel City overnight, in a rescue that the fire service said probably saved their
lives.

The fire started at about 11:20 p.m. on Monday at Brightwell Paper Supplies on Quarry Road, in the
Northgate district. Eleven staff were on the night shift. Nine left through fire exits as the alarm
sounded, but a man and a woman became trapped by smoke near the warehouse offices.

"The first crew in found them within three or four minutes," said Station Commander Luis Ferreira.
"They were not responsive. Getting them out into fresh air and into the care of paramedics as fast
as that makes an enormous difference."

Both were taken to Kestrel City Royal Infirmary. The man remained in a serious condition on Tuesday,
the hospital said.

Sofia Lindqvist, operations director at Brightwell, said the company's fire alarms and sprinklers
had activated as designed. "We are devastated that two of our team were hurt," she said. "We will
support them and their families in every way we can."

The warehouse holds stocks of printing paper and packaging, and part of the building's roof was
damaged. Around 45 firefighters fought the fire, which was brought under control at 3:40 a.m.

Brightwell supplies several printers in Port Aldwyn, including the firm that prints a number of
local newsletters. The company said it expected to resume deliveries from another site by the end of
the week.
"""
        ),
    ),
    Article(
        outlet="northern-courier",
        slug="northgate-rail-line-reopens-after-warehouse-fire",
        title="Northgate rail line reopens as investigators begin work at fire-hit warehouse",
        author="Fiona Lachlan",
        published=_t(17, 12, 25),
        summary="Smoke from the Quarry Road fire closed the line to Thornbury for seven hours.",
        story=FIRE_QUARRY,
        paragraphs=_body(
            """
Trains are running again on the Northgate line after smoke from an overnight warehouse fire in
Kestrel City closed the route for more than seven hours.

Wendmoor Rail suspended services between Kestrel Central and Thornbury at 11:50 p.m. on Monday, when
smoke from the blaze at Brightwell Paper Supplies on Quarry Road drifted across the tracks. The
first northbound train left Kestrel Central at 7:05 a.m. on Tuesday, although some early services
were cancelled and passengers faced delays of up to 40 minutes.

"Safety comes first, and we could not run trains through thick smoke next to an active fire," said
Wendmoor Rail's operations manager, Bernard Achterberg. "We are grateful to passengers for their
patience."

Two employees who were working at the warehouse when the fire started remain in Kestrel City Royal
Infirmary after inhaling smoke. One is described as being in a serious condition.

Fire investigators entered the building on Tuesday morning. Station Commander Luis Ferreira said
early indications suggested the fire began in the loading bay, possibly in an electrical charging
area for pallet trucks, but stressed that no conclusions had been reached.

"It is a complex scene and we will take the time we need to get this right," he said.

Quarry Road is expected to reopen on Wednesday. Northern Courier readers travelling to Kestrel City
are advised to check the operator's website before setting off.
"""
        ),
    ),
)

_BUDGET: tuple[Article, ...] = (
    Article(
        outlet=WIRE_OUTLET,
        slug="kestrel-city-council-passes-budget-fare-freeze-levy-rise",
        title="Kestrel City council passes budget with fare freeze and 3.9% levy rise",
        author="Rhiannon Cole",
        published=_t(10, 19, 55),
        summary="The $1.42 billion plan passed by 31 votes to 24 after a four-hour debate.",
        story=BUDGET,
        section="Politics",
        paragraphs=_body(
            """
Kestrel City Council on Tuesday approved a $1.42 billion budget for the coming financial year that
freezes bus and tram fares for a second year while raising the city's property levy by 3.9 percent.

The budget passed by 31 votes to 24 after a debate lasting more than four hours in the council
chamber. It takes effect on 1 April.

Council leader Farah Nasser said the fare freeze, which will cost around $18 million, was essential
to help households still struggling with living costs. "People told us that getting to work, to
school and to the doctor is the bill they worry about most," she said. "This budget keeps those
journeys affordable."

The plan also includes $120 million for road and pavement repairs over three years, funding for 40
additional social workers and a reduction in opening hours at two of the city's 14 public libraries.

Opposition leader Geoffrey Lund said the levy rise would hit homeowners and small landlords hardest.
"This council is asking residents to pay more and accept less," he told the chamber. "Cutting
library hours while spending millions on consultants is the wrong priority."

Bridget Amos, the council's cabinet member for finance, said the levy increase was below the rate of
growth in care costs and that consultancy spending had fallen by a third since 2024.

The council said the rise would add about $6 a month to the bill for a typical home. A public
consultation on the library changes will run until the end of April.
"""
        ),
    ),
    Article(
        outlet="metro-ledger",
        slug="fares-frozen-levy-up-what-kestrels-budget-means-for-you",
        title="Fares frozen, levy up: what Kestrel's new budget means for you",
        author="Jordan Blake",
        published=_t(10, 20, 10),
        summary="Travel, homes, roads and libraries: the council's 2026-27 budget explained.",
        story=BUDGET,
        section="Politics",
        paragraphs=_body(
            """
Kestrel City Council has signed off its budget for 2026-27 after a late-night vote on Tuesday. Here
is what the $1.42 billion plan means for people who live and work in the city.

Travel is the headline. Single bus and tram fares will stay at $2.40 and the monthly Metro Pass at
$78 until at least March 2027. It is the second year in a row the council has frozen fares, at a
cost of about $18 million, which comes from the city's share of parking and congestion charges.

Homeowners will pay more. The property levy rises by 3.9 percent from April, which the council says
works out at roughly $6 a month for a typical home. Pensioners on the lowest incomes will continue
to receive a full exemption.

Roads should get better, slowly. A three-year, $120 million repair programme will start in the
summer, beginning with the worst-rated stretches on Ferry Road, Northgate Way and the Eastbank ring.

Some libraries will open less. Ropewalk and Hallam Park libraries will close on Mondays and
Wednesdays. Council leader Farah Nasser said no library would shut completely and that a
consultation would run until 30 April.

"We have had to make choices, and not every one of them is popular," Ms Nasser said after the vote.
"But we have protected the things people use every day."

The budget passed by 31 votes to 24. Opposition leader Geoffrey Lund said his group would try to
reverse the library cuts at the council's June meeting.
"""
        ),
    ),
    Article(
        outlet="eastbank-gazette",
        slug="eastbank-library-spared-as-council-budget-passes",
        title="Eastbank library spared as council budget passes, but Ropewalk loses two days",
        author="Tom Hardcastle",
        published=_t(10, 21, 35),
        summary="Campaigners welcome a win for Eastbank but warn that Ropewalk's closures will hurt.",
        story=BUDGET,
        paragraphs=_body(
            """
Eastbank Library will keep its full opening hours after councillors approved Kestrel City's budget
on Tuesday night, but its smaller neighbour in Ropewalk will close two days a week from April.

The news was greeted with relief and frustration in equal measure by the Keep Our Libraries Open
campaign, which had gathered more than 4,000 signatures against proposals that at one stage would
have cut hours at six branches.

"Eastbank is safe and that is a real win for this community," said Aisha Rahman, who coordinates the
campaign. "But Ropewalk is where a lot of older people and families without internet at home go, and
Monday and Wednesday closures will hurt them."

The council's budget, worth $1.42 billion, passed by 31 votes to 24. It also freezes bus and tram
fares and raises the property levy by 3.9 percent.

Councillor Ravi Sandhu, who represents Eastbank, voted for the budget. He said he had pushed for the
Ropewalk cuts to be reviewed after six months. "I am not happy about Ropewalk, and I said so in the
chamber," he said. "The review is a commitment, and I will hold the leadership to it."

Bridget Amos, the council's cabinet member for finance, said the library changes would save about
$650,000 a year. Volunteers from the Ropewalk Residents' Association have offered to run a reading
group at the branch on one of its closed days, an idea the council has said it will consider.
"""
        ),
    ),
    Article(
        outlet="valley-times",
        slug="valley-commuters-welcome-kestrel-fare-freeze",
        title="Valley commuters welcome Kestrel fare freeze, but want cheaper trains too",
        author="Isobel Grant",
        published=_t(11, 7, 30),
        summary="A Brackenford season ticket still costs $212 a month, and the city has no say over it.",
        story=BUDGET,
        paragraphs=_body(
            """
Commuters travelling from the valley into Kestrel City have welcomed the decision to freeze the
city's bus and tram fares for another year, but say the biggest cost of their journey remains the
train.

Kestrel City Council approved the freeze on Tuesday evening as part of its $1.42 billion budget,
which passed by 31 votes to 24. Single fares stay at $2.40 and the Metro Pass at $78 a month.

For the thousands of people who take the train from Brackenford, Lowmere and Ferndale and then a
tram to their office, that is only part of the bill. A monthly rail season ticket from Brackenford
to Kestrel Central costs $212.

"The fare freeze helps, I won't pretend it doesn't," said Naomi Fletcher, a pharmacist from Lowmere
who commutes to the Royal Infirmary. "But my train ticket has gone up three years running, and
nobody in the city has any say over that."

Rail fares are set by Wendmoor Regional Council and Wendmoor Rail. Regional councillor Amir Haddad,
who represents Brackenford's Millrace ward, said he would ask for valley season tickets to be frozen
in line with the city. "If Kestrel can do it for buses and trams, the region can do it for trains,"
he said.

Kestrel City Council leader Farah Nasser said she would support talks on a combined ticket. "People
do not care which authority runs which bit of the journey," she said. "They care what it costs them
to get to work."
"""
        ),
    ),
)

_STRIKE: tuple[Article, ...] = (
    Article(
        outlet=WIRE_OUTLET,
        slug="port-aldwyn-dockworkers-walk-out-over-shift-patterns",
        title="Port Aldwyn dockworkers walk out in dispute over shift patterns",
        author="Hannah Price",
        published=_t(12, 6, 45),
        summary="About 900 members of the Dock and Harbour Workers' Union began a 48-hour strike.",
        story=STRIKE,
        section="Business",
        paragraphs=_body(
            """
Around 900 dockworkers at Port Aldwyn began a 48-hour strike early on Thursday in a dispute over new
shift patterns, halting most cargo handling at the region's largest port.

Members of the Dock and Harbour Workers' Union walked out at 6 a.m., after talks between the union
and the Port Aldwyn Harbour Board broke down late on Wednesday. Picket lines were set up at the
container terminal and the bulk cargo berths.

The dispute centres on a new rota that the harbour board wants to introduce from May, which would
replace fixed shifts with a system under which staff could be called in at 24 hours' notice. The
union says the change would make it impossible for members to plan childcare and family life.

"Nobody wants to be on a picket line, but our members have been left with no choice," said Tomasz
Wren, the union's branch secretary. "You cannot run a modern port by treating people as if they are
on call every hour of every day."

Alison Marr, chief executive of the harbour board, said the new system was needed to compete with
larger ports and would come with a pay rise of 4.5 percent. "We have made a fair offer and our door
remains open," she said.

The harbour board said eleven ships were waiting at anchor off the port on Thursday morning.
Passenger ferries to the Skerry Islands, which operate from a separate terminal, were running
normally.

Both sides have agreed to attend talks at the Wendmoor Conciliation Service on Monday.
"""
        ),
    ),
    Article(
        outlet="harbour-herald",
        slug="picket-lines-form-at-dawn-as-port-strike-begins",
        title="Picket lines form at dawn as Port Aldwyn strike begins",
        author="Declan Moore",
        published=_t(12, 7, 30),
        summary="The first picket at the port in more than a decade gathered around braziers at Gate 4.",
        story=STRIKE,
        paragraphs=_body(
            """
The cranes at Port Aldwyn's container terminal stood still on Thursday morning as dockworkers
gathered around braziers at Gate 4, the first picket line at the port in more than a decade.

By 6:30 a.m. about 150 members of the Dock and Harbour Workers' Union had assembled outside the
terminal, holding banners reading "Fair shifts, safe port" and waving at lorry drivers who sounded
their horns as they turned away.

"I have worked here for 23 years and I have never been on strike," said Maria Santos, a crane
operator. "I have two kids. Under this new rota I could get a phone call on a Sunday telling me I am
working Monday night. How do you plan a life around that?"

The 48-hour walkout by around 900 workers follows months of negotiations over a shift system the
Port Aldwyn Harbour Board wants to introduce in May.

Union branch secretary Tomasz Wren addressed the picket from the back of a van. "They say this is
about flexibility," he said. "For us, flexibility means never knowing when you will see your
family."

Harbour board chief executive Alison Marr said the port was losing business to competitors and that
the offer included a 4.5 percent pay rise. She said the board had "bent over backwards" to reach
agreement.

Police said the picket was peaceful. Traffic on Harbour Road was lighter than usual, with many
hauliers having been warned to stay away until Saturday.
"""
        ),
    ),
    Article(
        outlet="northern-courier",
        slug="northern-retailers-warn-of-shortages-as-port-strike-bites",
        title="Northern retailers warn of empty shelves if port strike drags on",
        author="Owen Lacey",
        published=_t(12, 11, 15),
        summary="Thornbury firms say they can ride out two days, but not weeks, without deliveries.",
        story=STRIKE,
        section="Business",
        paragraphs=_body(
            """
Shops and manufacturers in Thornbury and across the north of the region have warned that a prolonged
strike at Port Aldwyn could leave shelves empty and production lines short of parts within weeks.

Around 900 dockworkers began a 48-hour walkout on Thursday morning over new shift patterns, stopping
most container traffic at the port, which handles around 70 percent of the goods imported into
Wendmoor by sea.

Colin Strachan, chief executive of Thornbury Chamber of Commerce, said most businesses could cope
with a two-day stoppage. "If it stays at 48 hours, people will grumble and catch up," he said. "If
it turns into weeks, we will see real gaps, especially in fresh produce, building materials and
electronic components."

At Halvorsen Cabinets, a kitchen maker on the Thornbury Business Park that employs 140 people,
managing director Ingrid Halvorsen said a shipment of hinges and fittings was sitting on a vessel
anchored off the port. "We have about ten days of stock," she said. "After that we would have to
start sending people home."

The Dock and Harbour Workers' Union says the harbour board's proposed rota would leave staff on call
at short notice. The Port Aldwyn Harbour Board says the change is needed to keep the port
competitive and comes with a 4.5 percent pay rise.

Talks between the two sides are due to take place at the Wendmoor Conciliation Service on Monday.
"""
        ),
    ),
    Article(
        outlet="harbour-herald",
        slug="briefing-how-long-can-the-port-strike-last",
        title="Subscriber briefing: How long can the Port Aldwyn strike last?",
        author="Declan Moore",
        published=_t(13, 8, 0),
        summary="Strike funds, diverted ships and Monday's talks: where the dispute goes next.",
        story=STRIKE,
        kind="private",
        paragraphs=_body(
            """
The first day of the dock strike ended without any sign of a breakthrough, and both sides are now
preparing for a longer fight. This briefing sets out where the dispute stands and what could happen
next.

The union's strike fund can pay members a modest daily allowance for around three weeks, according
to people familiar with its finances. The harbour board, for its part, has told shipping lines it
can divert some vessels to smaller berths, but not enough to keep the container terminal moving.

Monday's talks at the Wendmoor Conciliation Service are the best chance of a deal. Officials on both
sides privately say a compromise could involve a longer notice period for extra shifts, perhaps 72
hours, and a cap on the number of call-ins each month.

If talks fail, the union has said it will ballot for a rolling programme of action through April.
That would put pressure on businesses that depend on the port, from fish exporters on the quayside
to kitchen makers in Thornbury.

We will update this briefing after Monday's meeting.
"""
        ),
    ),
)

_STORM: tuple[Article, ...] = (
    Article(
        outlet=WIRE_OUTLET,
        slug="storm-ilsa-floods-valley-towns-140-homes-evacuated",
        title="Storm Ilsa floods valley towns as 140 homes are evacuated",
        author="Hannah Price",
        published=_t(8, 7, 15),
        summary="The River Ashby burst its banks at Lowmere and Ferndale after 90 mm of rain in 24 hours.",
        story=STORM,
        section="Weather",
        paragraphs=_body(
            """
About 140 homes were evacuated in the Ashby valley overnight after Storm Ilsa brought more than 90
millimetres of rain in 24 hours and the River Ashby burst its banks at Lowmere and Ferndale.

Wendmoor Regional Council opened an emergency rest centre at Lowmere Leisure Centre, where around 60
people spent the night. Others stayed with friends and relatives. No serious injuries had been
reported by Sunday morning.

Firefighters used boats to rescue an elderly couple from their bungalow on Mill Meadow in Lowmere
shortly after 2 a.m., when water in the street reached waist height. Crews also helped residents of
a care home in Ferndale move to upper floors as a precaution.

"The river rose faster than at any time in the last twenty years," said Samuel Achebe, the council's
emergency planning coordinator. "Our priority overnight was getting people out of harm's way. The
next job is making sure they have somewhere warm and dry to stay."

The Regional Weather Service had issued an amber warning for rain on Friday. Forecaster Joanna Kerr
said the heaviest rain had now moved east, but river levels would remain high until Monday. "Flood
water can take a long time to drain from the valley floor, so people should stay away from the river
banks," she said.

The Valley Road between Lowmere and Ferndale was closed in both directions. Wendmoor Power Networks
said about 6,000 homes across the region were without electricity at 6 a.m., mostly because of trees
brought down by strong winds.

Council staff will begin assessing damage to homes once the water has gone down.
"""
        ),
    ),
    Article(
        outlet="valley-times",
        slug="lowmere-wakes-to-flooded-streets",
        title="Lowmere wakes to flooded streets as the Ashby breaks its banks",
        author="Gareth Pryce",
        published=_t(8, 8, 0),
        summary="A couple rescued by boat describe the water rising through the floorboards.",
        story=STORM,
        paragraphs=_body(
            """
On Mill Meadow, the morning after Storm Ilsa, the only sound was the river. Brown water stood a
metre deep between the bungalows, a wheelie bin drifted past a bus shelter, and a line of sandbags
lay uselessly half-submerged at the end of the street.

"We put those sandbags out on Friday and thought we were ready," said Graham Whitlock, 72, who was
rescued from his home by firefighters in a boat at about 2 a.m. with his wife, Pat. "The water came
up through the floorboards. It was in the kitchen in ten minutes."

The couple spent the rest of the night at the rest centre in Lowmere Leisure Centre, where
volunteers from St Cuthbert's Church handed out tea, blankets and dry socks.

Around 140 homes in Lowmere and Ferndale were evacuated as the River Ashby overtopped its banks.
Wendmoor Regional Council said it was the worst flooding in the valley since 2007.

Lowmere Parish Council chair Dorothy Evans said the village had been promised a new flood wall in
2019. "We were told it was coming, then it was delayed, then the money went somewhere else," she
said. "People here are angry, and they have every right to be."

The regional council's emergency planning coordinator, Samuel Achebe, said the flood wall scheme was
"under active review" and that damage assessments would begin on Monday.

Lowmere Primary School will be closed on Monday. The Valley Road remains shut between Lowmere and
Ferndale.
"""
        ),
    ),
    Article(
        outlet="northern-courier",
        slug="thousands-without-power-as-storm-ilsa-moves-north",
        title="Thousands without power in the north as Storm Ilsa moves through",
        author="Owen Lacey",
        published=_t(8, 10, 30),
        summary="Gusts of 110 km/h brought down trees and power lines around Thornbury.",
        story=STORM,
        section="Weather",
        paragraphs=_body(
            """
Thousands of homes in Thornbury and the surrounding villages were left without electricity on Sunday
after Storm Ilsa brought gusts of up to 110 kilometres an hour to the north of the region.

Wendmoor Power Networks said about 6,000 customers lost power at the peak of the storm, most of them
in the north, after falling trees brought down overhead lines. By 10 a.m. supplies had been restored
to around 4,200 homes.

"Our engineers have been out since the early hours and will keep going until everyone is
reconnected," said Lorna Quigley, the company's regional operations manager. "Some of the damage is
in remote areas and it may be Monday evening before the last customers are back on."

In Thornbury, a large beech tree fell across Castle Street shortly after midnight, crushing a parked
car. Nobody was hurt. The road was cleared by council crews by 8 a.m.

The Thornbury to Kestrel City railway line was closed until mid-morning while Wendmoor Rail removed
debris from the tracks near Hallbeck.

Further south, the River Ashby burst its banks at Lowmere and Ferndale, forcing the evacuation of
around 140 homes. The Regional Weather Service said the storm was now moving away to the east and
that Monday would be dry and bright, with lighter winds.

Thornbury Town Council has opened the Assembly Rooms on Market Square as a warm space for anyone
without heating.
"""
        ),
    ),
    Article(
        outlet="harbour-herald",
        slug="storm-ilsa-harbour-closed-ferries-cancelled",
        title="Storm Ilsa: harbour closed and ferries cancelled as valley begins clean-up",
        author="Declan Moore",
        published=_t(8, 14, 20),
        summary="Waves of more than four metres closed the harbour entrance for twelve hours.",
        story=STORM,
        paragraphs=_body(
            """
Port Aldwyn harbour was closed to shipping for twelve hours overnight and all ferries to the Skerry
Islands were cancelled as Storm Ilsa swept across the region.

The Port Aldwyn Harbour Board closed the harbour entrance at 8 p.m. on Saturday, when waves of more
than four metres were recorded at the outer breakwater. It reopened at 8 a.m. on Sunday, and the
first ferry of the day left for the islands at 11:30 a.m.

Harbour master Captain Ewan Gallagher said several small boats had broken their moorings in the
inner basin. "We had crews out at first light checking every pontoon," he said. "There is damage,
but given the strength of the wind it could have been much worse."

On the seafront, the Esplanade was closed for several hours after shingle and seaweed were thrown
onto the road. Council workers were clearing debris on Sunday afternoon.

Inland, the picture was more serious. About 140 homes were evacuated in Lowmere and Ferndale after
the River Ashby flooded, and residents were told it could be days before they can return. Wendmoor
Regional Council said people from Port Aldwyn who wanted to help should donate to the appeal set up
by the Wendmoor Community Foundation rather than travel to the valley.

The Regional Weather Service said calmer weather was expected on Monday. Ferry operator Skerry Link
said it would run extra sailings on Monday to clear the backlog of passengers and freight.
"""
        ),
    ),
)

_HOSPITAL: tuple[Article, ...] = (
    Article(
        outlet=WIRE_OUTLET,
        slug="new-emergency-wing-opens-at-thornbury-general",
        title="New emergency wing opens at Thornbury General after two-year build",
        author="Rhiannon Cole",
        published=_t(19, 10, 30),
        summary="The $210 million Rowan Wing triples the size of the hospital's emergency department.",
        story=HOSPITAL,
        section="Health",
        paragraphs=_body(
            """
A $210 million wing at Thornbury General Hospital was officially opened on Thursday, tripling the
size of its emergency department and adding 120 beds for patients across the north of Wendmoor.

The four-storey Rowan Wing, built over two years on the site of a former car park, also contains two
operating theatres, a children's assessment unit and a rooftop helicopter pad. The first patients
will be transferred from older wards on Monday.

Regional health minister Colm Fairley cut the ribbon at a ceremony attended by staff, patients and
local officials. "For too long, people in the north have had to travel to Kestrel City for care they
should be able to get closer to home," he said. "This building changes that."

Dr Priya Lal, chief executive of the Northern Health Trust, said about 300 new staff had been
recruited to run the wing, including 170 nurses. "A building is only as good as the people in it,
and we have been fortunate to attract a fantastic team," she said.

The project came in about $14 million over its original budget, which the trust has blamed on rising
construction costs in 2024 and 2025.

Grace Mwangi, a regional representative of the Nurses' Association, welcomed the opening but said
recruitment had left gaps elsewhere. "Some of these nurses have been moved from other wards and
community teams," she said. "We need to make sure those services are not left short."

The helicopter pad is expected to come into use in May, once flight trials have been completed.
"""
        ),
    ),
    Article(
        outlet="northern-courier",
        slug="rowan-wing-opens-a-look-inside-thornburys-new-hospital",
        title="Rowan Wing opens its doors: a look inside Thornbury's new hospital building",
        author="Fiona Lachlan",
        published=_t(19, 11, 45),
        summary="Single treatment rooms, a children's waiting area and no more trolleys in the corridor.",
        story=HOSPITAL,
        section="Health",
        paragraphs=_body(
            """
From the outside, the Rowan Wing is a tidy block of pale brick and glass on the corner of Infirmary
Road. Inside, staff at Thornbury General Hospital say, it is a different world from the cramped
1970s wards many of them have worked in for years.

The emergency department is arranged around a central nurses' station, with 36 treatment bays, each
with its own door, instead of the curtained cubicles used in the old building. There is a separate
waiting area for children, painted with a mural of the Thorn Hills designed by pupils from Castle
Street Primary School.

"In the old department, on a busy night we had people waiting on trolleys in the corridor," said Dr
Matthew Okonjo, a consultant in emergency medicine who has worked at the hospital since 2012. "Here
we have space, we have light and, most importantly, we can see our patients."

The wing was formally opened on Thursday by regional health minister Colm Fairley. It has 120 beds,
two operating theatres and a helicopter landing pad on the roof, and cost $210 million.

Patients and visitors were given tours in the afternoon. Margaret Dunn, 81, who was treated for a
broken hip in the old building last year, said she was impressed. "It is like a hotel," she said. "I
just hope I don't need to come back and try it."

The Northern Health Trust says parking will be expanded in the summer, when work finishes on a new
multi-storey car park on Infirmary Road.
"""
        ),
    ),
    Article(
        outlet="valley-times",
        slug="valley-patients-to-travel-to-thornbury-as-new-wing-opens",
        title="Some valley patients will be sent to Thornbury as new hospital wing opens",
        author="Isobel Grant",
        published=_t(19, 15, 10),
        summary="Ambulances from Lowmere and Ferndale will head north for some heart and stroke cases.",
        story=HOSPITAL,
        section="Health",
        paragraphs=_body(
            """
Some seriously ill patients from the valley will be taken to Thornbury General Hospital rather than
Kestrel City from next month, after the hospital opened its new Rowan Wing on Thursday.

The Northern Health Trust said ambulances would take patients from Lowmere and Ferndale with certain
heart and stroke symptoms to Thornbury, where the expanded emergency department and two new
operating theatres will be available around the clock. Patients from Brackenford will continue to go
to Kestrel City Royal Infirmary.

Dr Priya Lal, the trust's chief executive, said the change would cut average journey times for some
valley patients. "Thornbury is closer to the upper valley by road than the Royal Infirmary is, and
every minute counts for a stroke," she said.

But some residents worry about getting there. There is no direct bus between Lowmere and Thornbury,
and the journey by public transport takes more than an hour and a half with a change at Hallbeck.

"If my husband is taken to Thornbury in an ambulance, how am I supposed to get there to see him?"
said Carol Stanway, 68, from Ferndale. "I don't drive, and I can't afford taxis."

Lowmere Parish Council chair Dorothy Evans said she would ask the trust to fund a shuttle bus for
visitors. The minor injuries unit at Brackenford Community Hospital is not affected by the changes
and will remain open from 8 a.m. to 10 p.m. every day.
"""
        ),
    ),
)

_CUP: tuple[Article, ...] = (
    Article(
        outlet="metro-ledger",
        slug="doyle-header-wins-wendmoor-cup-for-kestrel-city",
        title="Doyle header wins Wendmoor Cup for Kestrel City in extra time",
        author="Marcus Bell",
        published=_t(22, 18, 40),
        summary="Kestrel City came from behind to beat ten-man Port Aldwyn Athletic 2-1 at Greyfield.",
        story=CUP,
        section="Sport",
        paragraphs=_body(
            """
Callum Doyle's header eight minutes from the end of extra time gave Kestrel City FC a 2-1 win over
Port Aldwyn Athletic in the Wendmoor Cup final at Greyfield Stadium on Sunday, and the club its
first major trophy since 2011.

The 24-year-old midfielder met a corner from Leon Farrow at the near post and glanced the ball past
goalkeeper Sam Okoro, sending most of the crowd of 31,400 into celebration.

Athletic had led for much of the match after Ruben Alves scored in the 34th minute, curling a free
kick over the wall from 25 metres. Kestrel dominated possession but struggled to create clear
chances until Jonah Mbeki, a second-half substitute, equalised in the 71st minute with a low shot
from the edge of the area.

The final turned early in extra time, when Athletic defender Tom Kearney was shown a second yellow
card for a challenge on Mbeki. With ten men, the visitors defended deep and looked likely to take
the game to penalties before Doyle's intervention.

"I am so proud of this group," said Kestrel manager Sandra Holt, who became the first woman to lead
a team to the trophy. "We were not at our best for an hour, but they never stopped believing. That
is what wins finals."

Athletic manager Ivo Petrak said his players had given everything. "To lose like that, with ten men
and a few minutes from penalties, is very hard," he said.

Kestrel City will parade the trophy through the city centre on Monday evening.
"""
        ),
    ),
    Article(
        outlet="harbour-herald",
        slug="heartbreak-for-athletic-as-ten-men-fall-in-extra-time",
        title="Heartbreak for Athletic as ten men fall in extra time",
        author="Nina Sorensen",
        published=_t(22, 19, 5),
        summary="Port Aldwyn were eight minutes from penalties when Kestrel City scored the winner.",
        story=CUP,
        section="Sport",
        paragraphs=_body(
            """
For 71 minutes at Greyfield Stadium on Sunday, Port Aldwyn Athletic were heading for their first
Wendmoor Cup in 30 years. By the end of the afternoon, their players were lying on the turf and
their supporters were filing silently out of the away end.

Ruben Alves had given Athletic a deserved lead in the 34th minute with a superb free kick, and Ivo
Petrak's side frustrated Kestrel City for most of the match with a compact, disciplined performance.

Jonah Mbeki's equaliser changed the mood, and the sending-off of centre-back Tom Kearney four
minutes into extra time left Athletic hanging on. They were eight minutes from a penalty shoot-out
when Callum Doyle headed in from a corner to win it 2-1 for Kestrel.

"I don't think Tom's second yellow was a yellow card," Petrak said afterwards. "But I am not going
to blame the referee. We had chances to win the game before that and we did not take them."

Around 6,000 Athletic fans made the journey from Port Aldwyn, many on special trains laid on by
Wendmoor Rail. Club captain Ollie Brandt went to the away end after the final whistle to applaud
them.

"They were incredible today," Brandt said. "We wanted to bring the cup home for them, and it hurts
that we couldn't."

Athletic return to league action on Saturday at home to Thornbury Rovers.
"""
        ),
    ),
    Article(
        outlet="eastbank-gazette",
        slug="eastbank-celebrates-as-kestrel-city-bring-the-cup-home",
        title="Eastbank celebrates as Kestrel City bring the cup home",
        author="Sana Mirza",
        published=_t(22, 20, 15),
        summary="Fans packed the pubs on Ropewalk, and a former Eastbank Academy pupil scored the equaliser.",
        story=CUP,
        section="Sport",
        paragraphs=_body(
            """
The pubs and cafés along Ropewalk were full to bursting on Sunday evening as Eastbank celebrated
Kestrel City's Wendmoor Cup final win over Port Aldwyn Athletic.

At the Anchor and Crown, where fans had crowded in to watch the match on two big screens, landlord
Phil Marsh said the noise when Callum Doyle scored the winner in extra time was "like nothing I have
heard in thirty years behind this bar".

"Grown men were crying," he said. "My dad took me to the last final we won, in 2011. I rang him
straight after the whistle and he couldn't speak."

Kestrel City's training ground is on the edge of Eastbank, and several of the squad grew up in the
area. Jonah Mbeki, who came off the bench to score the equaliser, went to Eastbank Academy, where
head of PE Lorraine Walsh said staff and pupils had watched the game together in the school hall.

"Jonah was in this hall ten years ago doing the same thing," she said. "To see him score in a cup
final is the best lesson we could give our young people."

Kestrel City Police said the evening was good-natured, with no arrests in Eastbank by 8 p.m.

The club will parade the trophy on an open-top bus on Monday. It will leave Greyfield Stadium at 6
p.m. and pass along Ropewalk and Ferry Road before finishing at City Hall, where council leader
Farah Nasser will host a reception.
"""
        ),
    ),
    Article(
        outlet="northern-courier",
        slug="petrak-questions-red-card-after-athletic-cup-final-defeat",
        title="Petrak questions red card as Athletic reflect on cup final defeat",
        author="Fiona Lachlan",
        published=_t(23, 8, 20),
        summary="Athletic will ask the Wendmoor Football Association to review Tom Kearney's dismissal.",
        story=CUP,
        section="Sport",
        paragraphs=_body(
            """
Port Aldwyn Athletic manager Ivo Petrak has said he will ask the Wendmoor Football Association to
review the sending-off of defender Tom Kearney in Sunday's Wendmoor Cup final, which his side lost
2-1 to Kestrel City after extra time.

Kearney was shown a second yellow card in the 94th minute for a sliding challenge on Jonah Mbeki,
who had equalised for Kestrel earlier in the match. Replays suggested he had made contact with the
ball first.

"We respect the referee and we accept the result," Petrak said on Monday. "But the rules allow us to
ask for a review, and I think it is right that we do, so that Tom does not miss further matches for
something he did not do."

A successful appeal would not change the result, but it would clear Kearney to play in Athletic's
league match against Thornbury Rovers on Saturday.

Kestrel's winner came from midfielder Callum Doyle eight minutes from the end of extra time,
cancelling out Ruben Alves' first-half free kick for Athletic. Kestrel manager Sandra Holt said she
had not seen the incident clearly but that her side had deserved their win.

Thornbury Rovers manager Aled Price said he would be glad to see Kearney available. "You want to
play against the best team the opposition can put out," he said.

The Wendmoor Football Association said it would consider the request at a disciplinary panel on
Wednesday.
"""
        ),
    ),
)

_WIND: tuple[Article, ...] = (
    Article(
        outlet=WIRE_OUTLET,
        slug="planners-approve-48-turbine-wind-farm-off-port-aldwyn",
        title="Planners approve 48-turbine wind farm off Port Aldwyn",
        author="Rhiannon Cole",
        published=_t(24, 9, 0),
        summary="The 720-megawatt Aldwyn Bank project is due to start generating power in 2030.",
        story=WIND,
        section="Business",
        paragraphs=_body(
            """
The Wendmoor Planning Commission on Tuesday approved plans for a 48-turbine offshore wind farm on
the Aldwyn Bank, about 22 kilometres off the coast of Port Aldwyn.

The 720-megawatt project, developed by Greywater Renewables, would generate enough electricity for
around 600,000 homes once it is fully operating, which the company expects to happen in 2030.
Construction at sea is due to begin in 2027.

Commission chair Martin Hale said the panel had concluded that the project's benefits outweighed its
impact on fishing and wildlife, provided strict conditions were met. "This is the largest
infrastructure decision this commission has taken," he said. "We have listened carefully to everyone
who took part, including those who opposed it."

The conditions include a $12 million fund to compensate fishing crews who lose access to grounds on
the bank, and a ten-year programme to monitor seabird populations on the Skerry Islands.

Greywater Renewables chief executive Ruth Calder said the project would create about 400
construction jobs and 80 permanent jobs at an operations and maintenance base in Port Aldwyn
harbour. "We want this to be a project the whole region benefits from," she said.

The Port Aldwyn Fishermen's Cooperative, which had objected to the scheme, said it was disappointed.
Its chair, Ellen Rudd, said the compensation fund was "a fraction of what the bank is worth to our
members over the lifetime of the turbines".

Opponents have six weeks to ask for a judicial review of the decision.
"""
        ),
    ),
    Article(
        outlet="harbour-herald",
        slug="aldwyn-bank-wind-farm-green-light-jobs-fishermen-wary",
        title="Aldwyn Bank wind farm gets green light: jobs promised, fishermen wary",
        author="Priya Natarajan",
        published=_t(24, 10, 40),
        summary="The harbour sees its biggest boost in fifty years; skippers on North Quay see lost grounds.",
        story=WIND,
        section="Business",
        paragraphs=_body(
            """
For the skippers who tie up along Port Aldwyn's North Quay, the Aldwyn Bank has been part of working
life for generations. On Tuesday, planners decided that it will also become home to 48 wind
turbines, each taller than any building in Wendmoor.

The Wendmoor Planning Commission approved the $2.6 billion scheme by Greywater Renewables after a
two-year examination. The developer says the wind farm will bring 80 long-term jobs to an operations
base in the harbour and hundreds more during construction.

Ellen Rudd, chair of the Port Aldwyn Fishermen's Cooperative, said her members felt the decision had
been made over their heads. "The bank is where the best of our sole and plaice are caught," she
said. "Once the turbines and cables are in, large parts of it will be closed to trawling. Nobody can
tell us what that does to the fish."

Others on the quayside see opportunity. Harbour Board chief executive Alison Marr said the port was
ready to invest in a new quay for service vessels. "This could be the biggest boost to the harbour
in fifty years," she said.

The mayor of Port Aldwyn, Keith Oduya, said he wanted the jobs to go to local people. "I will be
asking Greywater for a firm commitment on local recruitment and apprenticeships," he said.

The approval comes with conditions, including a $12 million compensation fund for fishing crews.
Construction offshore is expected to begin in 2027.
"""
        ),
    ),
    Article(
        outlet="northern-courier",
        slug="wind-farm-approval-a-boost-for-northern-suppliers",
        title="Wind farm approval a boost for northern suppliers, firms say",
        author="Owen Lacey",
        published=_t(24, 13, 30),
        summary="Thornbury fabricators and the town's college line up for work on the Aldwyn Bank project.",
        story=WIND,
        section="Business",
        paragraphs=_body(
            """
Engineering firms in Thornbury and the north of the region say the approval of the Aldwyn Bank
offshore wind farm could bring hundreds of millions of dollars of work to local suppliers.

The Wendmoor Planning Commission gave the go-ahead on Tuesday to the 48-turbine project off Port
Aldwyn, which is being developed by Greywater Renewables and is due to start generating power in
2030.

Holm Fabrication, which makes steel structures at its yard on the Thornbury Business Park, is one of
several northern firms bidding to supply parts for the turbine foundations. Managing director Karen
Holm said the company could take on 60 more welders and fitters if it won a contract.

"We have been building for the oil and gas industry for forty years, and those skills transfer
directly to offshore wind," she said. "This is exactly the kind of project that can secure jobs here
for a generation."

Colin Strachan of Thornbury Chamber of Commerce said Greywater had promised to hold supplier events
in the north before contracts are awarded next year. "The message to the developer is simple: use
the companies on your doorstep," he said.

Thornbury College said it was already talking to Greywater about a training course for wind turbine
technicians, starting in September 2027.

Not everyone welcomed the decision. The Port Aldwyn Fishermen's Cooperative said the wind farm would
close fishing grounds that support dozens of boats, and that it was considering a legal challenge.
"""
        ),
    ),
)

# Pages that are not articles of the warehouse: a video page (no text) and the broken-feed outlet's pages.
_OTHER: tuple[Article, ...] = (
    Article(
        outlet="metro-ledger",
        slug="video-drone-footage-quarry-road-warehouse-fire",
        title="Video: Quarry Road fire from the air",
        author="Metro Ledger Video",
        published=_t(17, 8, 15),
        summary="Watch aerial footage of the overnight fire at Brightwell Paper Supplies in Northgate.",
        story=FIRE_QUARRY,
        kind="video",
        section="Video",
        paragraphs=(),
    ),
    Article(
        outlet="lakeside-post",
        slug="promenade-reopens-after-storm-repairs",
        title="Lakeside promenade reopens after storm repairs",
        author="Beth Carrow",
        published=_t(14, 9, 0),
        summary="Paving and railings damaged by Storm Ilsa have been replaced along the north shore.",
        kind="unlisted",
        paragraphs=_body(
            """
The promenade along the northern shore of Merrow Water reopened on Saturday morning after a week of
repairs to damage caused by Storm Ilsa.

Waves whipped up by the storm dislodged paving slabs and railings along a 300-metre stretch between
the boathouse and the bandstand, and the path was closed on safety grounds.

"The crews have done a great job in a short time," said Merrow Town Council clerk Anthony Vance. "We
know how much people value being able to walk along the water, especially at weekends."

Two benches donated by the Merrow Walking Club will be reinstalled next week. The council said it
would review whether the railings needed to be higher along the most exposed section.
"""
        ),
    ),
    Article(
        outlet="lakeside-post",
        slug="sailing-club-elects-first-woman-commodore",
        title="Merrow Sailing Club elects its first woman commodore",
        author="Beth Carrow",
        published=_t(18, 18, 0),
        summary="Retired harbour pilot Jenny Okwu was chosen unopposed at the club's annual meeting.",
        kind="unlisted",
        paragraphs=_body(
            """
Merrow Sailing Club has elected its first woman commodore in the club's 112-year history.

Jenny Okwu, a retired harbour pilot who has sailed on Merrow Water since she was eight, was chosen
unopposed at the club's annual meeting on Tuesday evening.

"I am honoured, and a little bit surprised it took this long," Mrs Okwu said. "My priority is
getting more young people on the water, whatever their background."

The club runs junior sailing courses every summer and hopes to double the number of places this year
with the help of a grant from the Wendmoor Community Foundation.
"""
        ),
    ),
)

ARTICLES: tuple[Article, ...] = _BRIDGE + _FIRE_TANNER + _FIRE_QUARRY + _BUDGET + _STRIKE + _STORM + _HOSPITAL
ARTICLES += _CUP + _WIND + _OTHER

WIRE_COPIES: tuple[WireCopy, ...] = (
    WireCopy(
        outlet="northern-courier",
        slug="three-hurt-as-brackenford-footbridge-gives-way",
        original="footbridge-span-collapses-in-brackenford-three-injured",
        title="Three hurt as Brackenford footbridge gives way",
        summary="A man was airlifted to hospital after the Millrace Footbridge fell into the River Wend.",
        delay=timedelta(minutes=42),
        dateline="BRACKENFORD",
        trim_last_paragraph=True,
    ),
    WireCopy(
        outlet="eastbank-gazette",
        slug="commuters-injured-as-bridge-collapses-in-brackenford",
        original="footbridge-span-collapses-in-brackenford-three-injured",
        title="Commuters injured as bridge collapses in Brackenford",
        summary="Passers-by waded into the River Wend to help three people hurt in the collapse.",
        delay=timedelta(hours=3, minutes=25),
        dateline="BRACKENFORD",
        credit="Additional reporting by Tom Hardcastle.",
    ),
    WireCopy(
        outlet="metro-ledger",
        slug="storm-ilsa-valley-towns-under-water",
        original="storm-ilsa-floods-valley-towns-140-homes-evacuated",
        title="Storm Ilsa: valley towns under water as River Ashby bursts its banks",
        summary="Around 60 people spent the night at a rest centre in Lowmere after the river flooded.",
        delay=timedelta(hours=1, minutes=25),
        dateline="LOWMERE",
        trim_last_paragraph=True,
    ),
    WireCopy(
        outlet="valley-times",
        slug="dock-strike-halts-cargo-at-port-aldwyn",
        original="port-aldwyn-dockworkers-walk-out-over-shift-patterns",
        title="Dock strike halts cargo at Port Aldwyn",
        summary="Eleven ships wait at anchor as dockworkers begin a two-day walkout over rotas.",
        delay=timedelta(hours=3, minutes=20),
        dateline="PORT ALDWYN",
        trim_last_paragraph=True,
        credit="Additional reporting by Isobel Grant.",
    ),
    WireCopy(
        outlet="harbour-herald",
        slug="thornbury-hospital-unveils-120-bed-rowan-wing",
        original="new-emergency-wing-opens-at-thornbury-general",
        title="Thornbury hospital unveils 120-bed Rowan Wing",
        summary="The new wing adds two operating theatres and a rooftop helicopter pad.",
        delay=timedelta(hours=2, minutes=30),
        dateline="THORNBURY",
        credit="Additional reporting by Declan Moore.",
    ),
)


def outlet_by_id(outlet_id: str) -> Outlet:
    """The outlet with this id (KeyError if there is none)."""
    for outlet in OUTLETS:
        if outlet.id == outlet_id:
            return outlet
    raise KeyError(outlet_id)


def wire_original(slug: str) -> Article:
    """The Civic Wire article with this slug (KeyError if there is none)."""
    for article in ARTICLES:
        if article.outlet == WIRE_OUTLET and article.slug == slug:
            return article
    raise KeyError(slug)


def republish(copy: WireCopy) -> Article:
    """An outlet's page made from wire copy: same text, a dateline prefix, maybe trimmed or credited."""
    original = wire_original(copy.original)
    first, *rest = original.paragraphs
    if copy.trim_last_paragraph:
        rest = rest[:-1]
    paragraphs = (f"{copy.dateline} ({WIRE_NAME}) \u2014 {first}", *rest)
    if copy.credit:
        paragraphs += (copy.credit,)
    return Article(
        outlet=copy.outlet,
        slug=copy.slug,
        title=copy.title,
        author=WIRE_NAME,
        published=original.published + copy.delay,
        summary=copy.summary,
        paragraphs=paragraphs,
        story=original.story,
        section=original.section,
        copy_of=original.slug,
    )


def all_articles() -> tuple[Article, ...]:
    """Every page of the site: written articles, the non-article pages and the republished wire copy."""
    return ARTICLES + tuple(republish(copy) for copy in WIRE_COPIES)
