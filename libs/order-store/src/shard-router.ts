/**
 * Routes orders to their shard by user id: D databases × T tables. The shard key ("gene") is the user id modulo
 * 1024, and order ids carry the same gene in their low bits, so an order found by id and the orders listed by
 * user both go to exactly one table. D × T must divide 1024 (checked at boot).
 */
export const GENE_BITS = 10n;
export const GENE_MASK = (1n << GENE_BITS) - 1n;

export interface ShardLocation {
  /** Index into the order-shard databases. */
  database: number;
  /** Index of the table in that database. */
  table: number;
  /** The table's name: only ever built here, never from input. */
  tableName: string;
}

export class ShardRouter {
  private readonly locations: ShardLocation[];

  constructor(
    readonly databases: number,
    readonly tablesPerDatabase: number,
  ) {
    const slots = databases * tablesPerDatabase;
    if (!Number.isInteger(slots) || slots < 1 || 1024 % slots !== 0) {
      throw new RangeError(`databases × tables must divide 1024, got ${databases} × ${tablesPerDatabase}`);
    }
    this.locations = Array.from({ length: slots }, (_, slot) => {
      const table = Math.floor(slot / databases);
      return { database: slot % databases, table, tableName: `orders_${table}` };
    });
  }

  /** Every table, for scatter-gather reads. */
  all(): readonly ShardLocation[] {
    return this.locations;
  }

  /** The gene of a user id: what routes its orders. */
  static geneOf(userId: bigint): number {
    return Number(userId & GENE_MASK);
  }

  forUser(userId: bigint): ShardLocation {
    return this.locations[ShardRouter.geneOf(userId) % this.locations.length];
  }

  forOrderId(orderId: bigint): ShardLocation {
    return this.locations[Number(orderId & GENE_MASK) % this.locations.length];
  }
}
