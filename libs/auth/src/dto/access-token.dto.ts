import { ApiProperty } from '@nestjs/swagger';

/** Answer of POST /api/auth/login. */
export class AccessTokenDto {
  @ApiProperty({ description: 'JWT (HS256) with claims sub, role and exp.', example: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl' })
  accessToken!: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the token expires.', example: 3600 })
  expiresIn!: number;
}
