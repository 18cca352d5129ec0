/**
 * One SDK client per API key (the configured key and each tenant's BYOK key), so connections are reused.
 * Bounded: the least recently used client is dropped once `max` keys are cached.
 */
export function keyedClients<C>(create: (apiKey: string) => C, max = 100): (apiKey: string) => C {
  const clients = new Map<string, C>();
  return (apiKey) => {
    let client = clients.get(apiKey);
    if (client !== undefined) {
      clients.delete(apiKey);
    } else {
      client = create(apiKey);
      if (clients.size >= max) clients.delete(clients.keys().next().value as string);
    }
    clients.set(apiKey, client);
    return client;
  };
}
