/** The floor gateway's layers (gateway-process.ts), each with the ones before it. */
export const FLOOR_LAYERS = ['relay', 'stores', 'fastify', 'sdk'] as const;
export type FloorLayer = (typeof FLOOR_LAYERS)[number];

/** How the bench names each layer's row. */
export const FLOOR_LAYER_NAMES: Record<FloorLayer, string> = {
  relay: 'relay only',
  stores: '+ stores',
  fastify: '+ Fastify',
  sdk: '+ openai SDK',
};
