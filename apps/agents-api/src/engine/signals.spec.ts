import { detectHandoff, detectSignals, extractEmails, extractName, extractPhones } from './signals';

describe('detectHandoff', () => {
  it.each([
    'I want to talk to a human',
    'Can I speak to a real person please?',
    'speak to an agent',
    'Please connect me with a live agent.',
    'Transfer me to customer service',
    'put me through to someone',
    'I need a human!!',
    'Get me a representative',
    'Is there a real person I can talk to?',
    'HUMAN',
    'agent please',
    'live chat pls',
    "I don't want to talk to a bot, let me talk to someone",
    'no bots please',
    'Why can’t I just talk to a human?',
    'can i talk with your support team about my refund',
    'Are you able to connect me to a human?',
    'Is there a human I can talk to? Or is this all automated',
    'Quiero hablar con una persona',
    'quiero hablar con un agente por favor',
    '¿Puedo hablar con un asesor?',
    'Pásame con un humano',
    'Ich möchte mit einem Menschen sprechen',
    'Kann ich bitte mit einem Mitarbeiter sprechen?',
    'Verbinden Sie mich bitte mit einem Berater.',
    'Ich will einen echten Menschen!',
    'Je voudrais parler à un humain',
    'Puis-je parler avec un conseiller ?',
    'Mettez-moi en relation avec un conseiller',
    'je veux une vraie personne',
    'Vorrei parlare con un operatore',
    'Quero falar com um atendente',
  ])('asks for a human: %s', (text) => {
    expect(detectHandoff(text)).toBe(true);
  });

  it.each([
    'Are you human?',
    'are you a real person?',
    'Am I talking to a human right now?',
    'Is this a bot or a real person?',
    "I don't want to talk to a human, just answer",
    'I do not need to speak to an agent.',
    'My travel agent booked the hotel',
    'How do I become an agent?',
    'I already talked to an agent yesterday',
    'I was speaking with an agent earlier and he said 3 days',
    'Do I need to talk to an agent to cancel?',
    'Where is your human resources department?',
    'What are your opening hours?',
    '¿Eres humano?',
    '¿Estoy hablando con una persona?',
    'No quiero hablar con un agente',
    'Bist du ein Mensch?',
    'Spreche ich mit einem Menschen?',
    'Ich möchte nicht mit einem Mitarbeiter sprechen',
    'Es-tu humain ?',
    "Je ne veux pas parler à un conseiller",
    'Est-ce que je parle à un humain ?',
    'The person who answered was rude',
    'Are you a live agent?',
    'Is it a real person answering?',
    '',
  ])('does not ask for a human: %s', (text) => {
    expect(detectHandoff(text)).toBe(false);
  });
});

describe('extractEmails', () => {
  it('finds addresses, lower-cased and once each', () => {
    expect(extractEmails('Write to John.Doe+shop@Example.CO.uk. Or jane_d@sub.example.com, or JOHN.DOE+shop@example.co.uk')).toEqual([
      'john.doe+shop@example.co.uk',
      'jane_d@sub.example.com',
    ]);
  });

  it('ignores things that only look like addresses', () => {
    expect(extractEmails('icon@2x.png, user@localhost, @handle, a@b, name@domain.c, foo..bar@x.com')).toEqual([]);
    expect(extractEmails('mail me at (ana@correo.es)')).toEqual(['ana@correo.es']);
  });
});

describe('extractPhones', () => {
  it.each([
    ['Call me at +1 (555) 123-4567', ['+15551234567']],
    ['my number is +44 (0)20 7946 0958', ['+442079460958']],
    ['Tel: +33 6 12 34 56 78', ['+33612345678']],
    ['Tel:+33612345678', ['+33612345678']],
    ['0049 30 1234567', ['+49301234567']],
    ['mi teléfono es 612 345 678', ['612345678']],
    ['Meine Handynummer: 0171 1234567', ['01711234567']],
    ['appelez-moi au 06.12.34.56.78', ['0612345678']],
    ['(555) 123-4567 or 555.987.6543', ['5551234567', '5559876543']],
    ['reach me on 0612345678 tomorrow', ['0612345678']],
    ['+34 612 345 678 and again +34612345678', ['+34612345678']],
  ])('finds %s', (text, phones) => {
    expect(extractPhones(text)).toEqual(phones);
  });

  it.each([
    'My order number is 123456789',
    'order #98765432 has not arrived',
    'Invoice 2024-000123 is wrong',
    'I was born on 12/05/1990',
    'delivery on 2024-05-12',
    'the price was 1.250.000 €',
    'It costs $1 000 000',
    'we have 1500000 users',
    'between 2019-2024 we moved',
    'tracking: 1Z999AA10123456784',
    'see https://example.com/item/123456789',
    'call 911',
    'IBAN DE89 3704 0044 0532 0130 00',
    'card 4111 1111 1111 1111',
    'Meine Kundennummer ist 12345678',
    'Mi pedido 0012345678 no llegó',
    'It weighs 1234567 kg',
  ])('finds no phone in %s', (text) => {
    expect(extractPhones(text)).toEqual([]);
  });
});

describe('extractName', () => {
  it.each([
    ['My name is John Smith and I need help', 'John Smith'],
    ['my name is john smith.', 'John Smith'],
    ['my name is john need help with an order', 'John'],
    ["Hi, I'm Sarah from Acme", 'Sarah'],
    ['I am Ludwig van Beethoven', 'Ludwig van Beethoven'],
    ['Me llamo María José y quiero información', 'María José'],
    ['Hola, soy Lucía', 'Lucía'],
    ['Ich heiße Jürgen Müller', 'Jürgen Müller'],
    ['Mein Name ist Anna.', 'Anna'],
    ["Je m'appelle Jean-Luc", 'Jean-Luc'],
    ['Bonjour, je suis Élodie', 'Élodie'],
    ['Call me Bob', 'Bob'],
    ["name: O'Brien", "O'Brien"],
  ])('%s → %s', (text, name) => {
    expect(extractName(text)).toBe(name);
  });

  it.each([
    "I'm looking for a new phone",
    'I am interested in your plans',
    "I'm not sure",
    'I am German and live in Berlin',
    "I'M ANGRY",
    'Soy cliente desde hace años',
    'je suis perdu',
    'This is great',
    'What is my name?',
    'I am a customer',
  ])('no name in %s', (text) => {
    expect(extractName(text)).toBeUndefined();
  });
});

describe('detectSignals', () => {
  it('reports everything in one message', () => {
    expect(detectSignals("Hi, I'm Ana. Please connect me to an agent, my email is ana@example.com and phone +34 600 111 222", 'en')).toEqual({
      handoff: true,
      emails: ['ana@example.com'],
      phones: ['+34600111222'],
      name: 'Ana',
    });
  });

  it('leaves name out when there is none', () => {
    const signals = detectSignals('What are your opening hours?', 'en');
    expect(signals).toEqual({ handoff: false, emails: [], phones: [] });
    expect('name' in signals).toBe(false);
  });

  it('is fast enough to run on every message', () => {
    const text = 'Hello, my order 12345678 from 2024-05-12 never arrived; please call me at +49 171 1234567 or mail max@example.de. '.repeat(5);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) detectSignals(text, 'de');
    const perCallMs = Number(process.hrtime.bigint() - started) / 1e6 / 200;
    expect(perCallMs).toBeLessThan(2);
  });
});
