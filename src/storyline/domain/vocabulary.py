"""Closed word lists the description and title patterns read (`descriptions.py`, `titles.py`): roles, ranks, the
words a title never runs across, and the heads of what an organisation or a place is. Lists rather than a tagger:
tagging every article would cost about as much as the recogniser itself."""

from __future__ import annotations


def word_set(words: str) -> frozenset[str]:
    """A word list written as text: easier to read and extend than a literal of quoted strings."""
    return frozenset(words.split())


# Nouns that head a description of who or what someone is: a title in front of a name ends with one ("police
# spokesman", "Apple's chief executive", "the Chinese telecoms giant"). A closed list, not a tagger: running the
# tagger on every article would cost about as much as the recogniser itself.
ROLES = word_set(
    """
    activist actor actress adviser advisor advocate agent aide ally ambassador analyst anchor architect artist
    assistant associate
    athlete attorney author banker billionaire bishop blogger boss boxer broadcaster brother businessman captain
    cardinal carrier ceo cfo chair chairman chairwoman champion chancellor chef chief chipmaker cleric coach
    co-founder colonel columnist comedian commander commentator commissioner companion company congressman
    congresswoman consultant contender correspondent coo councillor councilman councilor councilwoman counsel
    cousin creator critic cto daughter defender delegate deputy designer detective developer diplomat director
    doctor donor economist editor envoy executive father filmmaker firm founder friend general giant goalkeeper
    governor group guard head host husband inspector investigator investor journalist judge justice king lawmaker
    lawyer leader legislator lender lieutenant manager manufacturer maker marshal mayor member minister mother
    negotiator newcomer nominee novelist officer official operator organizer organiser owner partner pastor
    photographer physician pitcher player playwright police politician president priest prince princess
    principal producer professor prosecutor publisher quarterback queen rabbi rapper receiver regulator
    representative researcher retailer rival ruler runner scientist secretary senator sergeant sheriff singer
    sister son songwriter speaker staff spokesman spokesperson spokeswoman sponsor star startup strategist striker
    student superintendent supervisor surgeon teacher teammate technician treasurer trustee umpire veteran
    vice-president victim watchdog widow wife winger witness writer
    candidate challenger tycoon mogul magnate hopeful incumbent front-runner frontrunner heir heiress celebrity
    icon legend entrepreneur protester demonstrator gunman shooter suspect defendant plaintiff inmate prisoner
    fugitive pilot driver passenger resident neighbour neighbor landlord tenant employee worker staffer
    volunteer winner finalist contestant nurse soldier firefighter paramedic engineer rector vice-rector dean
    cornerback linebacker halfback fullback midfielder defenseman batsman bowler jockey golfer
    gov sen rep sec gen lt col capt sgt det supt insp cmdr adm atty amb pres chmn
    teenager teen schoolboy schoolgirl backpacker tourist traveller traveler hiker climber swimmer surfer skier
    killer murderer attacker assailant robber thief burglar hacker smuggler trafficker kidnapper rapist
    farmer miner trader dealer merchant shopkeeper vendor model dancer painter sculptor poet academic scholar
    lecturer preacher monk nun imam missionary refugee migrant immigrant survivor mourner pensioner retiree
    frenchman englishman irishman scotsman welshman dutchman briton scot
    """
)
# Role nouns that say too little alone, or are often an object rather than a title ("told police Smith …").
NOT_ALONE = word_set(
    """
    police company firm group staff giant maker carrier operator startup watchdog regulator lender retailer
    manufacturer chipmaker head chief member friend partner associate ally brother sister son daughter wife
    husband mother father cousin widow companion resident neighbour neighbor fan worker employee
    """
)
# Productive endings of role nouns ("congressman", "economist", "historian", "carmaker"), lowercase only (a
# capitalised "Indian" is a nationality).
# What an organisation is, as a title before its name ("jeweler Harry Winston", "supermarket chain Waitrose").
ORGANISATION_ROLES = word_set(
    """
    jeweler jeweller supermarket chain bank insurer airline automaker carmaker network brand conglomerate
    supplier distributor wholesaler pharmacy club team band newspaper magazine website agency charity university
    hospital party union broker lender exchange fund studio label publisher operator provider
    """
)
ROLE_ENDINGS = ("man", "woman", "person", "ist", "ian", "maker")
# Role nouns an organisation can be, as well as a person ("rival Canadian Western Bank", "the Chinese telecoms
# giant Huawei"); the other roles before an organisation's name are a person's ("a freshman House Democrat").
ORGANISATION_HEADS = word_set(
    """
    company firm group giant carrier operator startup watchdog regulator lender retailer manufacturer chipmaker
    rival partner developer producer provider supplier competitor owner sponsor creator employer investor
    """
)
# A rank or honorific between a title and the name ("police spokesman Constable Tim Fanning"): the title
# describes; the rank alone does not.
RANKS = word_set(
    """
    mr mrs ms miss dr prof professor sir dame lord lady rev reverend father constable const sgt sergeant det
    detective officer capt captain lt lieutenant col colonel gen general maj major cpl pvt insp inspector supt
    superintendent cmdr commander adm admiral judge datuk dato seri tan sri tun
    """
)
# Words a title never runs across: it ends at a verb, preposition, conjunction or pronoun ("… said police
# spokesman", "… and Oregon State Police bomb technician"). Case-insensitive: headlines capitalise them.
STOP = word_set(
    """
    about above according across added after against along also although among and announced another are as
    asked at be because been before behind being below beside between but by called can could did do does
    during each every except for from had has have he her hers him his how i if in including into is it its
    like near nor not now of off on onto or our over per said say says she since so such than that then there
    these they this those though through to told towards under unlike until up upon us via was we were what
    when where whether which while who whom whose why will with within without would yet you
    last next this year month week day today yesterday tomorrow tonight morning afternoon evening night
    summer winter spring autumn fall other such only also even just still already
    met saw hit won led ran got let cut set put sent gave took made left found thought brought bought caught
    kept heard felt lost paid sold spent stood wrote spoke chose drove rose fell beat became came went knew
    grew threw drew flew named hired fired sued thanked urged joined backed praised blamed replaced
    """
) - {"his", "her", "its", "their", "our", "of"}
# Words that open a title and end the backwards walk ("the Chinese telecoms giant Huawei", "his policy director").
DETERMINERS = frozenset({"a", "an", "the", "another", "his", "her", "its", "their", "our"})
# Lowercase words that may stand before a capitalised title ("former Secretary of State", "then-Gov.").
MODIFIERS = word_set(
    "former then acting interim outgoing incoming late deputy assistant vice ex longtime current new senior top "
    "chief junior fellow retired veteran"
)
# Plural nouns that modify a role ("telecoms giant", "sports agent"), unlike a verb's -s ("meets", "thanks").
PLURALS = word_set(
    "telecoms news sales sports arts affairs operations communications relations services systems markets "
    "rights jobs works events games graphics electronics economics ethics politics"
)
PRONOUN_OWNERS = frozenset({"his", "her", "its", "their", "our"})
# Participles that are part of a title ("acting director", "managing editor"); other -ing/-ed words are verbs.
PARTICIPLE_TITLES = word_set(
    "acting managing outgoing incoming presiding ranking founding reigning sitting governing retired elected "
    "embattled disgraced jailed detained indicted convicted accused alleged suspected"
)
ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "sen", "rep", "gov", "gen", "ltd", "inc", "co"})
# Titles and ranks written short with a full stop ("Gov.", "Det. Sgt."): that stop does not end a sentence.
ABBREVIATED = ABBREVIATIONS | word_set(
    "sec lt col capt sgt det supt insp cmdr adm atty amb pres chmn prof rev const maj cpl pvt dist"
)
# A finite verb inside the phrase means a clause ("the company said", "a move that was criticised").
CLAUSE_WORDS = word_set(
    "said says told added announced is was are were has have had will would can could should did does"
)
# Heads of an appositive that comments on the sentence rather than saying what the name is ("…, a move intended to").
EVENT_HEADS = word_set("move step decision sign reminder blow setback development effort attempt bid way fact reversal")
# Verbs of a relative clause that say what someone does ("X, who leads Y,"), not what they did that day.
ROLE_VERBS = word_set(
    """
    leads led heads headed runs ran chairs chaired founded co-founded owns owned represents represented serves
    served manages managed coaches coached directs directed oversees oversaw hosts hosted teaches taught
    covers covered plays played stars starred works worked holds held chairs succeeded represents studies
    enforces regulates publishes makes produces provides sells builds develops designs monitors administers
    governs supervises operates organises organizes
    """
)
SPEECH = word_set("said says told tells added adds announced asked replied wrote according")
THAT_DAY = word_set(
    "monday tuesday wednesday thursday friday saturday sunday yesterday today tonight morning afternoon evening "
    "night earlier later"
)
# A relative clause with one of these as its subject is about what someone did to the entity ("which he signed").
SUBJECTS = word_set("i you he she we they it this that there")
MONTHS = word_set("january february march april may june july august september october november december")
# After a role verb, a pronoun means an event, not a role ("which makes it harder").
PRONOUNS = word_set("it its them him her this that these those us me you")

# Words that open a sentence's subordinate clause ("When …, the Coliseum Commission made …").
SUBORDINATORS = word_set("when whenever since after before as while if unless because although though until once")
# What may follow the head noun of a description: a complement or a direction ("a school north of Richmond").
AFTER_HEAD = word_set(
    "of in at for to with from on near by north south east west outside inside behind like as across over under"
)
# What an organisation, a product or a place is, as the head of its appositive after a preposition ("teaches at
# Randolph-Macon College, a small liberal arts school"): a closed list keeps out clauses ("with Apple, the deal").
THING_HEADS = word_set(
    """
    school college university academy institute website site organization organisation body committee department
    ministry service agency company firm group machine smartphone phone device browser software app platform
    tabloid channel station outlet nonprofit charity coalition alliance movement league court law act bill treaty
    superpower power union bloc party program programme system tool laptop notebook computer chip processor
    tablet console series show film novel book album song publication paper daily weekly think-tank foundation
    spaceport airport stadium arena venue consultancy store shop restaurant hotel bank insurer
    fund authority council board commission office bureau force army militia regime government administration
    club side franchise brand chain business venture subsidiary unit division arm affiliate rival competitor
    city town village suburb county state country nation region province island capital port community
    """
)
# What a thing is, written right after its name ("the BlackBerry Q10 smartphone", "the Casty store", "Newsweek
# magazine", "Ukraine's Donbas region"): only heads that are the named thing itself, not something it has or makes
# ("the Microsoft website", "a Woodburn bank", "the BBC show" are not Microsoft, Woodburn or the BBC).
KIND_AFTER = word_set("magazine newspaper tabloid movement")
# Products the same way, but only after a model's name (with a number, "the BlackBerry Q10 smartphone", or one the
# recogniser calls a product): after a maker's name they are what it makes ("an Apple laptop", "an Intel chip").
PRODUCT_AFTER = word_set("smartphone handset laptop notebook tablet processor chip console")
PLACE_KIND_AFTER = word_set("region province")
# Words that open a sentence's phrase of time or place before its subject ("In 2024, …", "Last week, …").
OPENERS = frozenset({"in", "on", "at", "after", "during", "since", "last", "earlier", "later", "meanwhile", "today"})
# Labels of things whose kind may follow their name ("the BlackBerry Q10 smartphone").
THING_LABELS = frozenset({"ORG", "PRODUCT", "WORK_OF_ART"})
# Labels of people, whose own relative clause opens with "who".
PEOPLE_LABELS = frozenset({"PERSON", "NORP"})
# The parties a US lawmaker's description names ("Republican of Arkansas").
PARTIES = ("Republican", "Democrat", "Independent")
# Days and months after "said" are when, not who (months that are also first names, "May", "June", are left out).
WHEN_WORDS = word_set(
    "monday tuesday wednesday thursday friday saturday sunday today tonight yesterday tomorrow january february "
    "march july september october november december"
)
