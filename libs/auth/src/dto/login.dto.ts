import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { USERNAME_PATTERN, USERNAME_RULE } from './register.dto';

/**
 * Longer than registration allows, because the admin's password comes from ADMIN_PASSWORD, which has no upper
 * bound; still bounded, so a login never hashes an arbitrarily long input.
 */
export const LOGIN_PASSWORD_MAX_LENGTH = 1024;

/** Body of POST /api/auth/login. */
export class LoginDto {
  /** Held to the registration rule: a name that could never have been registered is a client error, not a guess. */
  @ApiProperty({ example: 'alice', pattern: USERNAME_PATTERN.source })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: USERNAME_RULE })
  username!: string;

  @ApiProperty({ example: 'correct horse battery staple', maxLength: LOGIN_PASSWORD_MAX_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(LOGIN_PASSWORD_MAX_LENGTH)
  password!: string;
}
