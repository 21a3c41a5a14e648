// Floats written the way Go's strconv writes them, so `le` and `quantile` label values are
// the strings the Collector produces (a query for le="1e+06" finds Ferry's bucket too).

/** Go's strconv.FormatFloat(f, 'g', -1, 64), as client_golang writes values: shortest digits, an exponent below 1e-4 and from 1e6 on. */
export function formatGoG(f: number): string {
  const special = specialFloat(f);
  if (special !== undefined) return special;
  const { negative, digits, exponent } = shortestDigits(f);
  const sign = negative ? '-' : '';
  // For the shortest form Go decides with precision 6: %e when exp < -4 || exp >= 6.
  if (exponent < -4 || exponent >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return sign + plainDecimal(digits, exponent);
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent. */
export function formatGoF(f: number): string {
  const special = specialFloat(f);
  if (special !== undefined) return special;
  const { negative, digits, exponent } = shortestDigits(f);
  return (negative ? '-' : '') + plainDecimal(digits, exponent);
}

function specialFloat(f: number): string | undefined {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  return undefined;
}

/** The shortest round-trip digits of |f| and the decimal exponent of the first one. */
function shortestDigits(f: number): { negative: boolean; digits: string; exponent: number } {
  // toExponential() without an argument gives as many digits as needed to round-trip: the shortest.
  const [mantissa = '0', exp = '0'] = Math.abs(f).toExponential().split('e');
  return { negative: f < 0, digits: mantissa.replace('.', ''), exponent: Number(exp) };
}

function plainDecimal(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return digits + '0'.repeat(exponent + 1 - digits.length);
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}
