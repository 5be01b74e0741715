from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import tokens
from accounts.forms import LoginForm, ProfileForm, SignupForm, ThrottledForm
from accounts.languages import language_for
from chat import ratelimit
from chat.exceptions import ChatError
from chat.services.onboarding import user_onboard
from chat.views import AuthenticatedRequest


def _refused_if_throttled(response: HttpResponse, form: ThrottledForm) -> HttpResponse:
    """A form a rate limit refused is answered 429, with when to try again."""
    if form.retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(form.retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Django's sign-in page, with the throttled form."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        return _refused_if_throttled(response, form) if isinstance(form, ThrottledForm) else response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:index")
    form = SignupForm(
        request.POST if request.method == "POST" else None, address=ratelimit.client_address(request)
    )
    if form.is_valid():
        user = form.save()
        user_onboard(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("chat:index")
    return _refused_if_throttled(render(request, "registration/signup.html", {"form": form}), form)


def _profile_page(request: AuthenticatedRequest, form: ProfileForm, **extra: object) -> HttpResponse:
    context = {"form": form, "tokens": request.user.api_tokens.filter(revoked_at__isnull=True), **extra}
    return render(request, "registration/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Said in the language just chosen, as the next page is.
        translation.activate(language_for(user, request.headers.get("Accept-Language", "")))
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return _profile_page(request, form)


@never_cache
@login_required
@require_POST
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    """Make a token and show it, this once: the page is not cached and not redirected to."""
    try:
        token, text = tokens.token_create(user=request.user, name=request.POST.get("name", ""))
    except ChatError as error:
        messages.error(request, error.message)
        return redirect("profile")
    return _profile_page(request, ProfileForm(instance=request.user), new_token=token, new_token_text=text)


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    try:
        tokens.token_revoke_own(user=request.user, token_id=token_id)
    except ChatError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The token was revoked; what used it is signed out."))
    return redirect("profile")
