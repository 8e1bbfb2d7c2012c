/**
 * The text repairs of ftfy.fix_text (ftfy 6) that CLIPTokenizer applies before BPE when ftfy is
 * installed, as it is wherever Stable Diffusion's reference pipeline runs with open_clip:
 * HTML entities (only when the text has no "<"), UTF-8 read as Windows-1252 (mojibake) for
 * complete byte sequences, C1 controls, Latin ligatures, full-width forms, curly quotes, line
 * breaks, terminal escapes, stray control characters, then NFC.
 *
 * Not reproduced: ftfy's whole-string encoding guesser with its "badness" heuristics (other
 * legacy code pages, sequences with a lost byte). Prompts typed by people do not hit those.
 */

// Windows-1252 bytes 0x80..0x9F; the five undefined ones map to the C1 control of the same value
// ("sloppy-windows-1252", as ftfy does).
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

const ENCODE_1252 = new Map<string, number>();
for (let b = 0; b < 256; b++) {
  const ch = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b);
  ENCODE_1252.set(ch, b);
}

const CONT = `[${[...ENCODE_1252].filter(([, b]) => b >= 0x80 && b <= 0xbf).map(([c]) => escapeClass(c)).join('')}]`;
// Lead bytes 0xC2..0xDF, 0xE0..0xEF, 0xF0..0xF4 are the Latin-1 letters of the same code.
const MOJIBAKE = new RegExp(`[\\u00c2-\\u00df]${CONT}|[\\u00e0-\\u00ef]${CONT}{2}|[\\u00f0-\\u00f4]${CONT}{3}`, 'gu');

function escapeClass(c: string): string {
  return /[\]\\^-]/.test(c) ? `\\${c}` : c;
}

const LIGATURES: Record<string, string> = {
  'Ĳ': 'IJ',
  'ĳ': 'ij',
  'ŉ': 'ʼn',
  'Ǳ': 'DZ',
  'ǲ': 'Dz',
  'ǳ': 'dz',
  'Ǆ': 'DŽ',
  'ǅ': 'Dž',
  'ǆ': 'dž',
  'Ǉ': 'LJ',
  'ǈ': 'Lj',
  'ǉ': 'lj',
  'Ǌ': 'NJ',
  'ǋ': 'Nj',
  'ǌ': 'nj',
  'ﬀ': 'ff',
  'ﬁ': 'fi',
  'ﬂ': 'fl',
  'ﬃ': 'ffi',
  'ﬄ': 'ffl',
  'ﬅ': 'ſt',
  'ﬆ': 'st',
};

// The HTML entities people actually paste; numeric references cover the rest.
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  eacute: 'é',
  egrave: 'è',
  aacute: 'á',
  agrave: 'à',
  iacute: 'í',
  oacute: 'ó',
  uacute: 'ú',
  ntilde: 'ñ',
  ccedil: 'ç',
  uuml: 'ü',
  ouml: 'ö',
  auml: 'ä',
  szlig: 'ß',
  deg: '°',
  times: '×',
};

function unescapeHtml(text: string): string {
  return text.replace(/&#?[0-9A-Za-z]{1,24};/g, (m) => {
    const body = m.slice(1, -1);
    if (body.startsWith('#')) {
      const cp = /^#[xX]/.test(body) ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(cp) || cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return m;
      // HTML maps numeric references in 0x80..0x9F through Windows-1252.
      if (cp >= 0x80 && cp <= 0x9f) return CP1252_HIGH[cp - 0x80]!;
      return String.fromCodePoint(cp);
    }
    const exact = ENTITIES[body];
    if (exact !== undefined) return exact;
    // ftfy also decodes all-caps letter entities (&EACUTE; -> É).
    const lower = ENTITIES[body.toLowerCase()];
    if (lower !== undefined && body === body.toUpperCase() && /^[a-z]+$/i.test(body)) return lower.toUpperCase();
    return m;
  });
}

function fixMojibake(text: string): string {
  return text.replace(MOJIBAKE, (m) => {
    const bytes = Buffer.from([...m].map((c) => ENCODE_1252.get(c)!));
    const decoded = bytes.toString('utf8');
    return decoded.includes('\ufffd') ? m : decoded;
  });
}

function fixWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/gu, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

/** ftfy.fix_text with its default configuration, minus the whole-string encoding guesser. */
export function fixText(text: string): string {
  // ftfy works line by line, and decides on HTML per line.
  return text
    .split(/(?<=\n)/)
    .map((segment) => {
      let s = segment;
      if (!s.includes('<')) s = unescapeHtml(s);
      s = fixMojibake(s);
      s = s.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
      s = s.replace(/[ĲĳŉǱǲǳǄǅǆǇǈǉǊǋǌﬀﬁﬂﬃﬄﬅﬆ]/gu, (c) => LIGATURES[c] ?? c);
      s = fixWidth(s);
      s = s.replace(/[\u02bc\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"');
      s = s.replace(/\r\n|[\r\u2028\u2029\u0085]/g, '\n');
      s = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
      s = s.replace(/\u001b\[((?:\d|;)*)([a-zA-Z])/g, '');
      s = s.replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');
      return s.normalize('NFC');
    })
    .join('');
}
