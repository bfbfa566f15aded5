import { ApiProperty } from '@nestjs/swagger';

/** Answer of POST /api/auth/register. */
export class RegisteredUserDto {
  @ApiProperty({ description: 'Decimal string: user ids may exceed 2^53.', example: '42' })
  id!: string;

  @ApiProperty({ example: 'alice' })
  username!: string;
}
