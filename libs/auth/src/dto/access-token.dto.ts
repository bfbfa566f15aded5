import { ApiProperty } from '@nestjs/swagger';

/** Answer of POST /api/auth/login. */
export class AccessTokenDto {
  @ApiProperty({ description: 'JWT (HS256) with claims sub, role and exp.' })
  accessToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the token expires.', example: 3600 })
  expiresIn!: number;
}
