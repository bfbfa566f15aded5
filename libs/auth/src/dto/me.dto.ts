import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '@seckill/platform';

/** Answer of GET /api/auth/me. */
export class MeDto {
  @ApiProperty({ description: 'Decimal string: user ids may exceed 2^53.', example: '42' })
  id!: string;

  @ApiProperty({ example: 'alice' })
  username!: string;

  @ApiProperty({ enum: ['user', 'admin'], example: 'user' })
  role!: Role;
}
