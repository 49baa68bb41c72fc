import { KINDS } from '#devices';
import { influxQuery, type Service } from './services.ts';

/** Points stored across every measurement the hub writes (one per kind, plus events). */
export async function influxPointCount(influx: Service, database: string): Promise<number> {
  let total = 0;
  for (const m of [...KINDS, 'events']) {
    try {
      const rows = await influxQuery(influx, `SELECT count("seq") FROM "${m}"`, database);
      total += Number(rows[0]?.[1] ?? 0);
    } catch (err) {
      if (!/database not found/.test(String(err))) throw err;
    }
  }
  return total;
}
