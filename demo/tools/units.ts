/**
 * The demo's `convert_units` tool: conversions within a category of units (length, mass, temperature,
 * volume, speed, time, data, area). Unit names are matched case-insensitively, with common aliases and
 * plurals ("meters", "lbs", "°F", "km/h", "sq ft"…). No dependencies.
 */

/** An unknown unit, an impossible conversion or a bad value. */
export class UnitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitError';
  }
}

export type UnitCategory = 'length' | 'mass' | 'temperature' | 'volume' | 'speed' | 'time' | 'data' | 'area';

export interface Conversion {
  /** The value converted, as given. */
  value: number;
  /** The canonical symbols of the units, e.g. "km", "°F" → "F". */
  from: string;
  to: string;
  /** `value` in `to`, rounded to 10 significant digits. */
  result: number;
  category: UnitCategory;
}

interface Unit {
  symbol: string;
  category: UnitCategory;
  /** base = value * factor + offset (the base units: m, g, K, l, m/s, s, B, m2). */
  factor: number;
  offset: number;
  aliases: string[];
}

// US customary volumes, exactly, in litres: 1 gal = 231 in³ = 3.785411784 l.
const GAL = 3.785411784;

const UNIT_DEFS: Array<[symbol: string, category: UnitCategory, factor: number, aliases: string[], offset?: number]> = [
  // length (m)
  ['mm', 'length', 1e-3, ['millimeter', 'millimetre']],
  ['cm', 'length', 1e-2, ['centimeter', 'centimetre']],
  ['m', 'length', 1, ['meter', 'metre']],
  ['km', 'length', 1e3, ['kilometer', 'kilometre', 'kms']],
  ['in', 'length', 0.0254, ['inch', 'inches', '"', '″']],
  ['ft', 'length', 0.3048, ['foot', 'feet', "'", '′']],
  ['yd', 'length', 0.9144, ['yard', 'yds']],
  ['mi', 'length', 1609.344, ['mile']],
  ['nmi', 'length', 1852, ['nautical mile', 'nautical_mile']],
  // mass (g)
  ['mg', 'mass', 1e-3, ['milligram', 'milligramme']],
  ['g', 'mass', 1, ['gram', 'gramme']],
  ['kg', 'mass', 1e3, ['kilogram', 'kilogramme', 'kilo', 'kgs']],
  ['t', 'mass', 1e6, ['tonne', 'metric ton', 'metric_ton']],
  ['oz', 'mass', 28.349523125, ['ounce']],
  ['lb', 'mass', 453.59237, ['pound', 'lbs']],
  ['st', 'mass', 6350.29318, ['stone']],
  // temperature (K)
  ['C', 'temperature', 1, ['celsius', 'centigrade', '°C', 'degC', 'degree celsius', 'degrees celsius', '℃'], 273.15],
  ['F', 'temperature', 5 / 9, ['fahrenheit', '°F', 'degF', 'degree fahrenheit', 'degrees fahrenheit', '℉'], 273.15 - (32 * 5) / 9],
  ['K', 'temperature', 1, ['kelvin', '°K', 'degK']],
  // volume (l)
  ['ml', 'volume', 1e-3, ['milliliter', 'millilitre', 'mL', 'cc', 'cm3']],
  ['l', 'volume', 1, ['liter', 'litre', 'L', 'dm3']],
  ['tsp', 'volume', GAL / 768, ['teaspoon']],
  ['tbsp', 'volume', GAL / 256, ['tablespoon']],
  ['cup', 'volume', GAL / 16, ['cups', 'us cup']],
  ['fl_oz', 'volume', GAL / 128, ['fl oz', 'floz', 'fl. oz', 'fl. oz.', 'fluid ounce', 'fluid_ounce']],
  ['pt', 'volume', GAL / 8, ['pint', 'us pint']],
  ['qt', 'volume', GAL / 4, ['quart', 'us quart', 'qts']],
  ['gal', 'volume', GAL, ['gallon', 'us gallon', 'us gal']],
  // speed (m/s)
  ['m/s', 'speed', 1, ['mps', 'meters per second', 'metres per second', 'meter per second', 'metre per second', 'm s-1']],
  ['km/h', 'speed', 1 / 3.6, ['kph', 'kmh', 'kmph', 'km/hr', 'kilometers per hour', 'kilometres per hour', 'kilometer per hour', 'kilometre per hour']],
  ['mph', 'speed', 0.44704, ['mi/h', 'miles per hour', 'mile per hour']],
  ['kn', 'speed', 1852 / 3600, ['knot', 'kt', 'kts']],
  // time (s)
  ['s', 'time', 1, ['sec', 'second', 'secs']],
  ['min', 'time', 60, ['minute', 'mins']],
  ['h', 'time', 3600, ['hr', 'hour', 'hrs']],
  ['day', 'time', 86400, ['d']],
  ['week', 'time', 604800, ['wk', 'wks']],
  // data (B)
  ['B', 'data', 1, ['byte']],
  ['KB', 'data', 1e3, ['kilobyte', 'kB']],
  ['MB', 'data', 1e6, ['megabyte']],
  ['GB', 'data', 1e9, ['gigabyte']],
  ['TB', 'data', 1e12, ['terabyte']],
  ['KiB', 'data', 1024, ['kibibyte']],
  ['MiB', 'data', 1024 ** 2, ['mebibyte']],
  ['GiB', 'data', 1024 ** 3, ['gibibyte']],
  ['TiB', 'data', 1024 ** 4, ['tebibyte']],
  // area (m2)
  ['m2', 'area', 1, ['m²', 'm^2', 'sq m', 'sqm', 'square meter', 'square metre']],
  ['km2', 'area', 1e6, ['km²', 'km^2', 'sq km', 'square kilometer', 'square kilometre']],
  ['ha', 'area', 1e4, ['hectare']],
  ['acre', 'area', 4046.8564224, ['ac']],
  ['ft2', 'area', 0.09290304, ['ft²', 'ft^2', 'sq ft', 'sqft', 'square foot', 'square feet']],
];

const UNITS: Unit[] = UNIT_DEFS.map(([symbol, category, factor, aliases, offset = 0]) => ({
  symbol,
  category,
  factor,
  offset,
  aliases,
}));

/** Lower-cases and tidies a unit name: "  Degrees  Celsius" → "degrees celsius", "° F" → "°f". */
function normalize(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/°\s+/g, '°');
}

const LOOKUP = new Map<string, Unit>();
for (const unit of UNITS) {
  for (const key of [unit.symbol, ...unit.aliases]) {
    const k = normalize(key);
    const existing = LOOKUP.get(k);
    if (existing && existing !== unit) throw new Error(`units: "${key}" names both ${existing.symbol} and ${unit.symbol}`);
    LOOKUP.set(k, unit);
  }
}

const CATEGORIES: UnitCategory[] = ['length', 'mass', 'temperature', 'volume', 'speed', 'time', 'data', 'area'];

/** The canonical unit symbols of each category. */
export const UNITS_BY_CATEGORY = {} as Record<UnitCategory, readonly string[]>;
for (const c of CATEGORIES) UNITS_BY_CATEGORY[c] = UNITS.filter((u) => u.category === c).map((u) => u.symbol);

const KNOWN_LIST = CATEGORIES.map((c) => `${c}: ${UNITS_BY_CATEGORY[c].join(', ')}`).join('; ');

/**
 * Finds a unit by symbol or name, case-insensitively, also in the plural ("miles", "inches", "feet",
 * "degrees Celsius", "square meters"). Returns undefined for an unknown unit.
 */
export function findUnit(name: string): { symbol: string; category: UnitCategory } | undefined {
  if (typeof name !== 'string') return undefined;
  const key = normalize(name);
  let unit = LOOKUP.get(key);
  if (!unit) {
    // Plurals of names: "meters", "square meters", "ounces", "tbsps". Not of one- or two-letter symbols:
    // "ms" is not metres, nor "ks" kelvins.
    const singular = key.endsWith('s') ? key.slice(0, -1) : key;
    if (singular.length >= 3) unit = LOOKUP.get(singular);
  }
  return unit && { symbol: unit.symbol, category: unit.category };
}

function getUnit(name: string): Unit {
  const found = findUnit(name);
  if (!found) {
    const shown = typeof name === 'string' ? `"${name}"` : String(name);
    throw new UnitError(`Unknown unit ${shown}. Known units — ${KNOWN_LIST}.`);
  }
  return UNITS.find((u) => u.symbol === found.symbol)!;
}

/** Rounds to 10 significant digits, which hides floating-point noise (0.30000000000000004 → 0.3). */
export function roundSignificant(x: number, digits = 10): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const r = Number(x.toPrecision(digits));
  return r === 0 ? 0 : r; // no -0
}

/**
 * Converts `value` from one unit to another of the same category, e.g. `convert(5, "miles", "km")` →
 * `{ value: 5, from: "mi", to: "km", result: 8.04672, category: "length" }`. Throws `UnitError` for an
 * unknown unit, units of different categories or a value that is not a finite number.
 */
export function convert(value: number, from: string, to: string): Conversion {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new UnitError(`The value to convert must be a finite number, got ${typeof value === 'number' ? value : JSON.stringify(value) ?? String(value)}.`);
  }
  const a = getUnit(from);
  const b = getUnit(to);
  if (a.category !== b.category) {
    throw new UnitError(`Cannot convert ${a.symbol} (${a.category}) to ${b.symbol} (${b.category}).`);
  }
  const base = value * a.factor + a.offset;
  const raw = a === b ? value : (base - b.offset) / b.factor;
  if (!Number.isFinite(raw)) throw new UnitError(`The result of converting ${value} ${a.symbol} to ${b.symbol} is too large.`);
  return { value, from: a.symbol, to: b.symbol, result: roundSignificant(raw), category: a.category };
}
