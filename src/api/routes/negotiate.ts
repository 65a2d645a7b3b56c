/**
 * Content negotiation on the Accept header (RFC 9110 §12.5.1): the offered type with the highest
 * quality wins, earlier offers win ties, and `*` wildcards match. With no Accept header (or one
 * that matches nothing) the first offer is the answer, as for most JSON APIs.
 */
export function preferredType<const T extends string>(
  accept: string | undefined,
  offers: readonly [T, ...T[]],
): T {
  if (accept === undefined || accept.trim() === '') return offers[0];
  const ranges = accept.split(',').map((part) => {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    return { range: range.trim(), quality: Number.isFinite(quality) ? quality : 0 };
  });
  let best: T = offers[0];
  let bestScore = -1;
  for (const offer of offers) {
    const [type, subtype] = offer.split('/');
    let quality = -1;
    let specificity = -1;
    for (const { range, quality: q } of ranges) {
      const [rangeType, rangeSubtype] = range.split('/');
      const matches =
        (rangeType === '*' || rangeType === type) &&
        (rangeSubtype === '*' || rangeSubtype === subtype || rangeSubtype === undefined);
      if (!matches) continue;
      const rangeSpecificity = (rangeType === '*' ? 0 : 1) + (rangeSubtype === '*' ? 0 : 1);
      if (rangeSpecificity > specificity) {
        specificity = rangeSpecificity;
        quality = q;
      }
    }
    // Prefer an explicitly named type over one matched only by a wildcard of the same quality.
    const score = quality <= 0 ? -1 : quality * 10 + specificity;
    if (score > bestScore) {
      bestScore = score;
      best = offer;
    }
  }
  return best;
}
