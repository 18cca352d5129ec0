export { createLocalHashingEmbedder, type LocalHashingEmbedderOptions } from './local-hashing.js';
export { createVertexEmbedder, type VertexEmbedderOptions, type VertexAuthClient } from './vertex.js';
