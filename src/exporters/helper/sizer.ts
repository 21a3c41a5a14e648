// The units a sending queue is measured in (`sizer`): requests, items, or bytes of
// the OTLP protobuf encoding, as the Collector's queue sizers count them.
export type SizerType = 'requests' | 'items' | 'bytes';

/** The sizers that need a batch's OTLP protobuf size (the queue then encodes it once, on enqueue). */
export function needsBytes(sizer: SizerType): boolean {
  return sizer === 'bytes';
}

/**
 * The size of one queued batch in the sizer's unit: 1 per request, its items (log records,
 * spans, data points), or `bytes`, the size of its OTLP protobuf encoding (0 if unknown).
 */
export function sizeOf(sizer: SizerType, items: number, bytes: number | undefined): number {
  switch (sizer) {
    case 'requests':
      return 1;
    case 'items':
      return items;
    case 'bytes':
      return bytes ?? 0;
  }
}
